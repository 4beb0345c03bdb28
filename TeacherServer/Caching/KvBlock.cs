using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Caching;

/// <summary>
/// The keys and values one ORT run returned (present.*, each [B,H,Width,D]) and, per row, which slot holds each of its
/// positions: a row's positions need not be contiguous (left padding of the past, right padding of the new positions).
/// </summary>
public sealed class KvBlock : IDisposable
{
    public KvBlock(OrtValue[] presents, IReadOnlyList<BlockRow> rows, int width)
    {
        Presents = presents;
        Rows = rows;
        Width = width;
        Bytes = presents.Sum(p => p.GetTensorSizeInBytes());
    }

    public OrtValue[] Presents { get; }

    public IReadOnlyList<BlockRow> Rows { get; }

    public int Width { get; }

    public long Bytes { get; }

    internal LinkedListNode<KvBlock>? Node { get; set; }

    public void Dispose()
    {
        foreach (var present in Presents)
        {
            present.Dispose();
        }
    }
}

/// <summary>A row of a <see cref="KvBlock"/>: its tokens, the slot of each position, and the hash of each prefix.</summary>
public sealed record BlockRow(int[] Tokens, int[] Slots, ulong[] Hashes);
