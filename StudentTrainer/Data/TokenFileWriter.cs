namespace Distill.StudentTrainer.Data;

/// <summary>Appends ids to a new <see cref="TokenFile"/>; nothing but a write buffer is held in memory.</summary>
public sealed class TokenFileWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly int _width;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _buffered;

    /// <param name="width">Bytes per id: 2 or 4 (<see cref="TokenFile.WidthFor"/>).</param>
    public TokenFileWriter(string path, int width)
    {
        if (width is not (2 or 4)) throw new ArgumentException($"a token file stores 2 or 4 bytes per id, not {width}");
        _width = width;
        _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        _stream.Write(TokenFile.Header(width));
    }

    /// <summary>The ids written so far.</summary>
    public long Count { get; private set; }

    /// <exception cref="ArgumentOutOfRangeException">An id is negative or does not fit the width.</exception>
    public void Write(IReadOnlyList<int> ids)
    {
        foreach (int id in ids) Write(id);
    }

    /// <exception cref="ArgumentOutOfRangeException">The id is negative or does not fit the width.</exception>
    public void Write(int id)
    {
        if (id < 0 || (_width == 2 && id > ushort.MaxValue))
            throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} does not fit a token file of {_width} bytes per id");
        if (_buffered + _width > _buffer.Length) Flush();
        if (_width == 2) System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_buffered), (ushort)id);
        else System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_buffered), id);
        _buffered += _width;
        Count++;
    }

    public void Dispose()
    {
        Flush();
        _stream.Dispose();
    }

    private void Flush()
    {
        _stream.Write(_buffer, 0, _buffered);
        _buffered = 0;
    }
}
