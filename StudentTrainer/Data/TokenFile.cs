using System.Buffers;
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Distill.StudentTrainer.Data;

/// <summary>
/// A binary file of token ids: a 16-byte header (<c>DTOK</c>, format version, bytes per id, 0, each an int32 little
/// endian but the magic) and then the ids, little endian, as uint16 when every id of the vocabulary fits, else uint32.
/// Read memory-mapped, so only the pages a window touches are loaded.
/// </summary>
public static class TokenFile
{
    /// <summary>The length of the header in bytes.</summary>
    public const int HeaderLength = 16;

    /// <summary>The version of the layout this code writes and reads.</summary>
    public const int Version = 1;

    internal static ReadOnlySpan<byte> Magic => "DTOK"u8;

    /// <summary>Bytes per id for a vocabulary of <paramref name="vocabularySize"/> ids: 2 when they fit uint16, else 4.</summary>
    public static int WidthFor(int vocabularySize) => vocabularySize <= ushort.MaxValue + 1 ? 2 : 4;

    /// <summary>The stream of the ids of the file at <paramref name="path"/>, mapped into memory.</summary>
    /// <exception cref="InvalidDataException">The file is not a token file of this version, or holds too many ids.</exception>
    public static TokenStream Open(string path) => new(new MappedTokens(path));

    internal static byte[] Header(int width)
    {
        var header = new byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), width);
        return header;
    }

    /// <summary>Ids read from a mapped view of the file; the mapping lives as long as the stream does.</summary>
    private sealed class MappedTokens : ITokenStore
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private readonly int _width;

        public MappedTokens(string path)
        {
            long length = new FileInfo(path).Length;
            if (length < HeaderLength) throw new InvalidDataException($"token file '{path}' is shorter than its header");
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            Span<byte> header = stackalloc byte[HeaderLength];
            Read(0, header);
            _width = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            if (!header[..4].SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(header[4..]) != Version || _width is not (2 or 4))
                throw new InvalidDataException($"'{path}' is not a token file of version {Version}");
            long count = (length - HeaderLength) / _width;
            if (count > int.MaxValue) throw new InvalidDataException($"token file '{path}' holds {count} ids, more than a stream addresses ({int.MaxValue})");
            Count = (int)count;
        }

        public int Count { get; }

        public void CopyTo(int start, Span<int> destination)
        {
            if (start < 0 || destination.Length > Count - start)
                throw new ArgumentOutOfRangeException(nameof(start), $"ids [{start}, {start + destination.Length}) are outside the {Count} of the file");
            long offset = HeaderLength + (long)start * _width;
            if (_width == 4)
            {
                Read(offset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination));
                return;
            }
            ushort[] narrow = ArrayPool<ushort>.Shared.Rent(destination.Length);
            try
            {
                Span<ushort> ids = narrow.AsSpan(0, destination.Length);
                Read(offset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(ids));
                for (int i = 0; i < ids.Length; i++) destination[i] = ids[i];
            }
            finally
            {
                ArrayPool<ushort>.Shared.Return(narrow);
            }
        }

        private void Read(long offset, Span<byte> destination) =>
            _view.SafeMemoryMappedViewHandle.ReadSpan((ulong)(_view.PointerOffset + offset), destination);
    }
}
