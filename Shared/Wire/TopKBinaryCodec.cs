using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Distill.Shared.Wire;

/// <summary>
/// The compact binary encoding of top-k requests and answers; every number is little-endian.
/// <code>
/// request, "DKQ1" (all positions)          request, "DKQ2" (positions from start on)
///  0  4  magic "DKQ1"                        0  4  magic "DKQ2"
///  4  4  int32 k                             4  4  int32 k
///  8  4  float32 temperature                 8  4  float32 temperature
/// 12  4  int32 n (sequences)                12  4  int32 start
/// 16 4n  int32 length of each sequence      16  4  int32 n (sequences)
///  . 4P  int32 token ids, back to back      20 4n  int32 length of each sequence
///                                            . 4P  int32 token ids, back to back
///
/// answer, "DKR1" (start 0, int32 ids)       answer, "DKR2" (a start, or uint16 ids)
///  0  4  magic "DKR1"                        0  4  magic "DKR2"
///  4  1  log-prob width w: 4 = float32,      4  1  log-prob width w
///        2 = float16                         5  1  id width i: 4 = int32, 2 = uint16
///  5  3  zero                                6  2  zero
///  8  4  int32 k                             8  4  int32 k
/// 12  4  int32 n (sequences)                12  4  int32 n (sequences)
/// 16 4n  int32 positions of each sequence   16  4  int32 start: sequence position of the first answered one
///  .  4+  int32 byte count + UTF-8 model    20 4n  int32 positions answered of each sequence (P = Σ)
///  .  4+  int32 byte count + UTF-8 version   .  4+  int32 byte count + UTF-8 model name
///  .  0-3 zero padding to a multiple of 4    .  4+  int32 byte count + UTF-8 version
///  . 4Pk  int32 ids [P][k], most probable    .  0-3 zero padding to a multiple of 4
///        first                               . iPk  ids [P][k] (int32 or uint16), most probable first
///  . wPk  log-probs [P][k]                   .  0-3 zero padding to a multiple of 4
///  .  wP  log p of the next token [P]; NaN   . wPk  log-probs [P][k]
///        at each sequence's last position    .  wP  log p of the next token [P]; NaN at each sequence's last position
/// </code>
/// A position costs i·k + w·(k + 1) bytes: 8k + 4 with int32 ids and float32, 4k + 2 with uint16 ids and float16.
/// <code>
/// request, "DKQ3" (each sequence from its own start)   answer, "DKR3" (each sequence from its own start)
///  0  4  magic "DKQ3"                                    0  4  magic "DKR3"
///  4  4  int32 k                                         4  1  log-prob width w
///  8  4  float32 temperature                             5  1  id width i
/// 12  4  int32 n (sequences)                             6  2  zero
/// 16 4n  int32 length of each sequence                   8  4  int32 k
///  . 4n  int32 start of each sequence                   12  4  int32 n (sequences)
///  . 4P  int32 token ids, back to back                  16 4n  int32 positions answered of each sequence (P = Σ)
///                                                         . 4n  int32 start of each sequence
///                                                         .     then as DKR2 from the model name on
/// </code>
/// Sequence s's answered position j stands for its position start_s + j. Writers use DKQ1 and DKR1 whenever they can,
/// DKQ3 and DKR3 only for per-sequence starts, so older readers keep working.
/// </summary>
public static class TopKBinaryCodec
{
    public static ReadOnlySpan<byte> RequestMagic => "DKQ1"u8;

    public static ReadOnlySpan<byte> RequestFromStartMagic => "DKQ2"u8;

    public static ReadOnlySpan<byte> ResponseMagic => "DKR1"u8;

    public static ReadOnlySpan<byte> ResponseWithStartMagic => "DKR2"u8;

    public static ReadOnlySpan<byte> RequestPerSequenceStartsMagic => "DKQ3"u8;

    public static ReadOnlySpan<byte> ResponsePerSequenceStartsMagic => "DKR3"u8;

    /// <exception cref="ArgumentException">Per-sequence starts with a start ≠ 0, or not one per sequence.</exception>
    public static byte[] EncodeRequest(TopKRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var starts = PerSequenceStarts(request.Starts, request.Start, request.Sequences.Length);
        var tokens = request.Sequences.Sum(s => (long)s.Length);
        var header = request.Start == 0 ? 16 : 20;
        var perSequence = starts is null ? 1 : 2;
        var buffer = new byte[checked(header + 4L * perSequence * request.Sequences.Length + 4 * tokens)];
        var span = buffer.AsSpan();
        (starts is not null ? RequestPerSequenceStartsMagic : request.Start == 0 ? RequestMagic : RequestFromStartMagic).CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], request.K);
        BinaryPrimitives.WriteSingleLittleEndian(span[8..], request.Temperature);
        if (request.Start != 0)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[12..], request.Start);
        }
        BinaryPrimitives.WriteInt32LittleEndian(span[(header - 4)..], request.Sequences.Length);
        var offset = header;
        foreach (var sequence in request.Sequences)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], sequence.Length);
            offset += 4;
        }
        if (starts is not null)
        {
            WriteInt32s(span[offset..], starts);
            offset += 4 * starts.Length;
        }
        foreach (var sequence in request.Sequences)
        {
            WriteInt32s(span[offset..], sequence);
            offset += 4 * sequence.Length;
        }
        return buffer;
    }

    /// <summary>The per-sequence starts to encode (null: none), checked to be one per sequence and alone.</summary>
    private static int[]? PerSequenceStarts(IReadOnlyList<int>? starts, int start, int sequences)
    {
        if (starts is null)
        {
            return null;
        }
        if (start != 0)
        {
            throw new ArgumentException($"Per-sequence starts come with start 0, not {start}.");
        }
        if (starts.Count != sequences)
        {
            throw new ArgumentException($"{starts.Count} starts for {sequences} sequences.");
        }
        return [.. starts];
    }

    /// <exception cref="WireFormatException">The bytes are not a whole, well-formed request.</exception>
    public static TopKRequest DecodeRequest(ReadOnlySpan<byte> bytes)
    {
        var reader = new SpanReader(bytes);
        var magic = reader.Take(4);
        var fromStart = magic.SequenceEqual(RequestFromStartMagic);
        var perSequence = magic.SequenceEqual(RequestPerSequenceStartsMagic);
        if (!fromStart && !perSequence && !magic.SequenceEqual(RequestMagic))
        {
            throw new WireFormatException("The request does not start with the magic \"DKQ1\", \"DKQ2\" or \"DKQ3\".");
        }
        var k = reader.Int32();
        var temperature = reader.Single();
        var start = fromStart ? reader.Int32() : 0;
        var lengths = reader.Lengths(reader.Int32());
        var starts = perSequence ? reader.Int32s(lengths.Length) : null;
        var sequences = new int[lengths.Length][];
        for (var i = 0; i < lengths.Length; i++)
        {
            sequences[i] = reader.Int32s(lengths[i]);
        }
        reader.ExpectEnd();
        return new TopKRequest(sequences, k, temperature, start, starts);
    }

    public static byte[] EncodeResponse(TopKResult result, LogprobPrecision precision = LogprobPrecision.Float32, IdWidth ids = IdWidth.Int32)
    {
        var buffer = new byte[checked((int)ResponseLength(result, precision, ids))];
        var writer = new FixedBufferWriter(buffer);
        foreach (var _ in WriteResponse(result, precision, writer, ids: ids))
        {
        }
        return buffer;
    }

    /// <summary>The size in bytes of the encoded answer.</summary>
    public static long ResponseLength(TopKResult result, LogprobPrecision precision = LogprobPrecision.Float32, IdWidth ids = IdWidth.Int32)
    {
        ArgumentNullException.ThrowIfNull(result);
        long positions = result.Positions;
        return ResponseHeader(result, precision, ids).Length + IdsBytes(positions * result.K, ids) + (int)precision * (result.K + 1L) * positions;
    }

    /// <summary>The ids section with its padding to a multiple of 4.</summary>
    private static long IdsBytes(long count, IdWidth ids) => (count * (int)ids + 3) / 4 * 4;

    /// <summary>
    /// Writes the encoded answer to <paramref name="destination"/> in pieces of about <paramref name="pieceBytes"/>,
    /// yielding the bytes written so far after each, so that a caller can flush a piece before the next is encoded
    /// (an answer streamed in bounded memory). Enumerate it to the end to write the whole answer.
    /// </summary>
    /// <param name="ids">uint16 ids need every id below 65,536.</param>
    public static IEnumerable<long> WriteResponse(TopKResult result, LogprobPrecision precision, IBufferWriter<byte> destination, int pieceBytes = 1 << 16,
        IdWidth ids = IdWidth.Int32)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceBytes);
        var header = ResponseHeader(result, precision, ids);
        destination.Write(header);
        long written = header.Length;
        long piece = written;
        var k = result.K;
        var width = (int)precision;
        // Ids, then log-probs, then next-token log-probs, each sequence by sequence, in runs of whole positions.
        for (var section = 0; section < 3; section++)
        {
            var bytesPerPosition = section switch { 0 => (int)ids * k, 1 => width * k, _ => width };
            var valuesPerPosition = section == 2 ? 1 : k;
            var run = Math.Max(1, pieceBytes / Math.Max(1, bytesPerPosition));
            foreach (var sequence in result.Sequences)
            {
                for (var start = 0; start < sequence.Length; start += run)
                {
                    var count = Math.Min(run, sequence.Length - start);
                    var bytes = count * bytesPerPosition;
                    var target = destination.GetSpan(bytes)[..bytes];
                    var from = start * valuesPerPosition;
                    var values = count * valuesPerPosition;
                    switch (section)
                    {
                        case 0 when ids == IdWidth.UInt16:
                            WriteUInt16s(target, sequence.Ids.AsSpan(from, values));
                            break;
                        case 0:
                            WriteInt32s(target, sequence.Ids.AsSpan(from, values));
                            break;
                        case 1:
                            WriteFloats(target, sequence.Logprobs.AsSpan(from, values), precision);
                            break;
                        default:
                            WriteFloats(target, sequence.NextTokenLogprobs.AsSpan(from, values), precision);
                            break;
                    }
                    destination.Advance(bytes);
                    written += bytes;
                    if (written - piece >= pieceBytes)
                    {
                        piece = written;
                        yield return written;
                    }
                }
            }
            if (section == 0 && written % 4 != 0)
            {
                var padding = (int)(4 - written % 4);
                destination.GetSpan(padding)[..padding].Clear();
                destination.Advance(padding);
                written += padding;
            }
        }
        if (written > piece)
        {
            yield return written;
        }
    }

    /// <summary>Everything before the ids: magic, widths, k, n, (start,) lengths, (starts,) model, version, padding to a multiple of 4.</summary>
    private static byte[] ResponseHeader(TopKResult result, LogprobPrecision precision, IdWidth ids)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (precision is not (LogprobPrecision.Float32 or LogprobPrecision.Float16))
        {
            throw new ArgumentOutOfRangeException(nameof(precision));
        }
        if (ids is not (IdWidth.Int32 or IdWidth.UInt16))
        {
            throw new ArgumentOutOfRangeException(nameof(ids));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(result.Start);
        var starts = PerSequenceStarts(result.Starts, result.Start, result.Sequences.Count);
        if (starts?.Any(s => s < 0) == true)
        {
            throw new ArgumentOutOfRangeException(nameof(result), "A sequence's start is negative.");
        }
        var withStart = starts is null && (result.Start != 0 || ids != IdWidth.Int32);
        var fixedPart = withStart ? 20 : 16;
        var model = Encoding.UTF8.GetBytes(result.Model);
        var version = Encoding.UTF8.GetBytes(result.Version);
        var header = fixedPart + 4 * result.Sequences.Count * (starts is null ? 1 : 2) + 4 + model.Length + 4 + version.Length;
        var buffer = new byte[header + (4 - header % 4) % 4];
        var span = buffer.AsSpan();
        (starts is not null ? ResponsePerSequenceStartsMagic : withStart ? ResponseWithStartMagic : ResponseMagic).CopyTo(span);
        span[4] = (byte)precision;
        if (withStart || starts is not null)
        {
            span[5] = (byte)ids;
        }
        if (withStart)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[16..], result.Start);
        }
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], result.K);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], result.Sequences.Count);
        var offset = fixedPart;
        foreach (var sequence in result.Sequences)
        {
            if (sequence.K != result.K)
            {
                throw new ArgumentException($"A sequence has k = {sequence.K} in an answer with k = {result.K}.", nameof(result));
            }
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], sequence.Length);
            offset += 4;
        }
        if (starts is not null)
        {
            WriteInt32s(span[offset..], starts);
            offset += 4 * starts.Length;
        }
        offset = WriteString(span, offset, model);
        WriteString(span, offset, version);
        return buffer;
    }

    /// <summary>Reads an answer; float16 log-probs are widened to float32.</summary>
    /// <exception cref="WireFormatException">The bytes are not a whole, well-formed answer.</exception>
    public static TopKResult DecodeResponse(ReadOnlySpan<byte> bytes)
    {
        var reader = new SpanReader(bytes);
        var magic = reader.Take(4);
        var withStart = magic.SequenceEqual(ResponseWithStartMagic);
        var perSequence = magic.SequenceEqual(ResponsePerSequenceStartsMagic);
        var extended = withStart || perSequence;
        if (!extended && !magic.SequenceEqual(ResponseMagic))
        {
            throw new WireFormatException("The answer does not start with the magic \"DKR1\", \"DKR2\" or \"DKR3\".");
        }
        var widths = reader.Take(4);
        var precision = (LogprobPrecision)widths[0];
        if (precision is not (LogprobPrecision.Float32 or LogprobPrecision.Float16))
        {
            throw new WireFormatException($"Unknown log-prob width {widths[0]}.");
        }
        var idWidth = extended ? (IdWidth)widths[1] : IdWidth.Int32;
        if (idWidth is not (IdWidth.Int32 or IdWidth.UInt16))
        {
            throw new WireFormatException($"Unknown id width {widths[1]}.");
        }
        var k = reader.Int32();
        if (k < 0)
        {
            throw new WireFormatException($"Negative k {k}.");
        }
        var count = reader.Int32();
        var start = withStart ? reader.Int32() : 0;
        if (start < 0)
        {
            throw new WireFormatException($"Negative start {start}.");
        }
        var lengths = reader.Lengths(count);
        var starts = perSequence ? reader.Int32s(count) : null;
        if (starts?.FirstOrDefault(s => s < 0, 0) is < 0 and var negative)
        {
            throw new WireFormatException($"Negative start {negative}.");
        }
        var model = reader.String();
        var version = reader.String();
        reader.Take((4 - reader.Offset % 4) % 4);

        var ids = new int[lengths.Length][];
        var logprobs = new float[lengths.Length][];
        var next = new float[lengths.Length][];
        for (var i = 0; i < lengths.Length; i++)
        {
            ids[i] = idWidth == IdWidth.UInt16 ? reader.UInt16s((long)lengths[i] * k) : reader.Int32s((long)lengths[i] * k);
        }
        reader.Take((4 - reader.Offset % 4) % 4);
        for (var i = 0; i < lengths.Length; i++)
        {
            logprobs[i] = reader.Floats((long)lengths[i] * k, precision);
        }
        for (var i = 0; i < lengths.Length; i++)
        {
            next[i] = reader.Floats(lengths[i], precision);
        }
        reader.ExpectEnd();
        var sequences = new SequenceTopK[lengths.Length];
        for (var i = 0; i < lengths.Length; i++)
        {
            sequences[i] = new SequenceTopK(lengths[i], k, ids[i], logprobs[i], next[i]);
        }
        return new TopKResult(model, version, k, sequences, start, starts);
    }

    /// <summary>Size in bytes of the per-position payload of an answer (ids, log-probs, next-token log-prob).</summary>
    public static int BytesPerPosition(int k, LogprobPrecision precision, IdWidth ids = IdWidth.Int32) => (int)ids * k + (int)precision * (k + 1);

    private static int WriteString(Span<byte> span, int offset, byte[] utf8)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[offset..], utf8.Length);
        utf8.CopyTo(span[(offset + 4)..]);
        return offset + 4 + utf8.Length;
    }

    private static void WriteInt32s(Span<byte> destination, ReadOnlySpan<int> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(destination);
            return;
        }
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(destination[(4 * i)..], values[i]);
        }
    }

    private static void WriteUInt16s(Span<byte> destination, ReadOnlySpan<int> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], checked((ushort)values[i]));
        }
    }

    private static int WriteFloats(Span<byte> destination, ReadOnlySpan<float> values, LogprobPrecision precision)
    {
        if (precision == LogprobPrecision.Float16)
        {
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteHalfLittleEndian(destination[(2 * i)..], (Half)values[i]);
            }
            return 2 * values.Length;
        }
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(destination);
        }
        else
        {
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(destination[(4 * i)..], values[i]);
            }
        }
        return 4 * values.Length;
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over an array of exactly the right size.</summary>
    private sealed class FixedBufferWriter(byte[] buffer) : IBufferWriter<byte>
    {
        private int written;

        public void Advance(int count) => written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => buffer.AsMemory(written);

        public Span<byte> GetSpan(int sizeHint = 0) => buffer.AsSpan(written);
    }

    private ref struct SpanReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> bytes = bytes;

        public int Offset { get; private set; }

        public ReadOnlySpan<byte> Take(long count)
        {
            if (count < 0 || count > bytes.Length - Offset)
            {
                throw new WireFormatException($"The message ends early: {count} more bytes expected at offset {Offset}, {bytes.Length - Offset} left.");
            }
            var slice = bytes.Slice(Offset, (int)count);
            Offset += (int)count;
            return slice;
        }

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public float Single() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

        public int[] Lengths(int count)
        {
            if (count < 0)
            {
                throw new WireFormatException($"Negative sequence count {count}.");
            }
            var lengths = Int32s(count);
            foreach (var length in lengths)
            {
                if (length < 0)
                {
                    throw new WireFormatException($"Negative sequence length {length}.");
                }
            }
            return lengths;
        }

        public int[] Int32s(long count)
        {
            var source = Take(4 * count);
            var values = new int[count];
            if (BitConverter.IsLittleEndian)
            {
                source.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
                return values;
            }
            for (var i = 0; i < count; i++)
            {
                values[i] = BinaryPrimitives.ReadInt32LittleEndian(source[(4 * i)..]);
            }
            return values;
        }

        public int[] UInt16s(long count)
        {
            var source = Take(2 * count);
            var values = new int[count];
            for (var i = 0; i < count; i++)
            {
                values[i] = BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]);
            }
            return values;
        }

        public float[] Floats(long count, LogprobPrecision precision)
        {
            var source = Take((int)precision * count);
            var values = new float[count];
            if (precision == LogprobPrecision.Float16)
            {
                for (var i = 0; i < count; i++)
                {
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]);
                }
                return values;
            }
            if (BitConverter.IsLittleEndian)
            {
                source.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
                return values;
            }
            for (var i = 0; i < count; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
            }
            return values;
        }

        public string String()
        {
            var length = Int32();
            try
            {
                return new UTF8Encoding(false, true).GetString(Take(length));
            }
            catch (DecoderFallbackException)
            {
                throw new WireFormatException("A string is not valid UTF-8.");
            }
        }

        public readonly void ExpectEnd()
        {
            if (Offset != bytes.Length)
            {
                throw new WireFormatException($"{bytes.Length - Offset} unexpected bytes after the end of the message.");
            }
        }
    }
}
