using System.Runtime.InteropServices;

namespace Distill.TeacherServer.Caching;

/// <summary>
/// Native memory for one keys-or-values buffer of a <see cref="KvBlock"/>, zeroed when allocated and freed when
/// disposed (or finalized): blocks come and go by the megabyte, which on the managed heap would be large-object
/// allocations left to gen-2 collections.
/// </summary>
public sealed unsafe class KvBuffer : IDisposable
{
    private void* pointer;

    public KvBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        pointer = NativeMemory.AllocZeroed((nuint)length, sizeof(float));
    }

    ~KvBuffer() => Free();

    /// <summary>Floats held.</summary>
    public int Length { get; }

    public long Bytes => (long)Length * sizeof(float);

    public IntPtr Address => pointer is null ? throw new ObjectDisposedException(nameof(KvBuffer)) : (IntPtr)pointer;

    public Span<float> Span => new((void*)Address, Length);

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (pointer is not null)
        {
            NativeMemory.Free(pointer);
            pointer = null;
        }
    }
}
