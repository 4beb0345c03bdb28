using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Distill.Shared.Wire;

/// <summary>
/// The compact binary encoding of top-k requests and answers; every number is little-endian.
/// <code>
/// request                                  answer
///  0  4  magic "DKQ1"                        0  4  magic "DKR1"
///  4  4  int32 k                             4  1  log-prob width: 4 = float32, 2 = float16
///  8  4  float32 temperature                 5  3  zero
/// 12  4  int32 n (sequences)                 8  4  int32 k
/// 16 4n  int32 length of each sequence      12  4  int32 n (sequences)
///  . 4P  int32 token ids, back to back      16 4n  int32 length of each sequence (P = Σ lengths)
///                                            .  4+  int32 byte count + UTF-8 model name
///                                            .  4+  int32 byte count + UTF-8 version
///                                            .  0-3 zero padding to a multiple of 4
///                                            . 4Pk  int32 ids [P][k], most probable first
///                                            . wPk  log-probs [P][k]
///                                            .  wP  log p of the next token [P]; NaN at each sequence's last position
/// </code>
/// </summary>
public static class TopKBinaryCodec
{
    public static ReadOnlySpan<byte> RequestMagic => "DKQ1"u8;

    public static ReadOnlySpan<byte> ResponseMagic => "DKR1"u8;

    public static byte[] EncodeRequest(TopKRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tokens = request.Sequences.Sum(s => (long)s.Length);
        var buffer = new byte[checked(16 + 4L * request.Sequences.Length + 4 * tokens)];
        var span = buffer.AsSpan();
        RequestMagic.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], request.K);
        BinaryPrimitives.WriteSingleLittleEndian(span[8..], request.Temperature);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], request.Sequences.Length);
        var offset = 16;
        foreach (var sequence in request.Sequences)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], sequence.Length);
            offset += 4;
        }
        foreach (var sequence in request.Sequences)
        {
            WriteInt32s(span[offset..], sequence);
            offset += 4 * sequence.Length;
        }
        return buffer;
    }

    /// <exception cref="WireFormatException">The bytes are not a whole, well-formed request.</exception>
    public static TopKRequest DecodeRequest(ReadOnlySpan<byte> bytes)
    {
        var reader = new SpanReader(bytes);
        if (!reader.Take(4).SequenceEqual(RequestMagic))
        {
            throw new WireFormatException("The request does not start with the magic \"DKQ1\".");
        }
        var k = reader.Int32();
        var temperature = reader.Single();
        var lengths = reader.Lengths(reader.Int32());
        var sequences = new int[lengths.Length][];
        for (var i = 0; i < lengths.Length; i++)
        {
            sequences[i] = reader.Int32s(lengths[i]);
        }
        reader.ExpectEnd();
        return new TopKRequest(sequences, k, temperature);
    }

    public static byte[] EncodeResponse(TopKResult result, LogprobPrecision precision = LogprobPrecision.Float32)
    {
        var buffer = new byte[checked((int)ResponseLength(result, precision))];
        var writer = new FixedBufferWriter(buffer);
        foreach (var _ in WriteResponse(result, precision, writer))
        {
        }
        return buffer;
    }

    /// <summary>The size in bytes of the encoded answer.</summary>
    public static long ResponseLength(TopKResult result, LogprobPrecision precision = LogprobPrecision.Float32)
    {
        ArgumentNullException.ThrowIfNull(result);
        long positions = result.Positions;
        return ResponseHeader(result, precision).Length + (4L * result.K + (int)precision * (result.K + 1L)) * positions;
    }

    /// <summary>
    /// Writes the encoded answer to <paramref name="destination"/> in pieces of about <paramref name="pieceBytes"/>,
    /// yielding the bytes written so far after each, so that a caller can flush a piece before the next is encoded
    /// (an answer streamed in bounded memory). Enumerate it to the end to write the whole answer.
    /// </summary>
    public static IEnumerable<long> WriteResponse(TopKResult result, LogprobPrecision precision, IBufferWriter<byte> destination, int pieceBytes = 1 << 16)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceBytes);
        var header = ResponseHeader(result, precision);
        destination.Write(header);
        long written = header.Length;
        long piece = written;
        var k = result.K;
        var width = (int)precision;
        // Ids, then log-probs, then next-token log-probs, each sequence by sequence, in runs of whole positions.
        for (var section = 0; section < 3; section++)
        {
            var bytesPerPosition = section switch { 0 => 4 * k, 1 => width * k, _ => width };
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
        }
        if (written > piece)
        {
            yield return written;
        }
    }

    /// <summary>Everything before the ids: magic, width, k, n, lengths, model, version, padding to a multiple of 4.</summary>
    private static byte[] ResponseHeader(TopKResult result, LogprobPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (precision is not (LogprobPrecision.Float32 or LogprobPrecision.Float16))
        {
            throw new ArgumentOutOfRangeException(nameof(precision));
        }
        var model = Encoding.UTF8.GetBytes(result.Model);
        var version = Encoding.UTF8.GetBytes(result.Version);
        var header = 16 + 4 * result.Sequences.Count + 4 + model.Length + 4 + version.Length;
        var buffer = new byte[header + (4 - header % 4) % 4];
        var span = buffer.AsSpan();
        ResponseMagic.CopyTo(span);
        span[4] = (byte)precision;
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], result.K);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], result.Sequences.Count);
        var offset = 16;
        foreach (var sequence in result.Sequences)
        {
            if (sequence.K != result.K)
            {
                throw new ArgumentException($"A sequence has k = {sequence.K} in an answer with k = {result.K}.", nameof(result));
            }
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], sequence.Length);
            offset += 4;
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
        if (!reader.Take(4).SequenceEqual(ResponseMagic))
        {
            throw new WireFormatException("The answer does not start with the magic \"DKR1\".");
        }
        var widthAndReserved = reader.Take(4);
        var precision = (LogprobPrecision)widthAndReserved[0];
        if (precision is not (LogprobPrecision.Float32 or LogprobPrecision.Float16))
        {
            throw new WireFormatException($"Unknown log-prob width {widthAndReserved[0]}.");
        }
        var k = reader.Int32();
        if (k < 0)
        {
            throw new WireFormatException($"Negative k {k}.");
        }
        var lengths = reader.Lengths(reader.Int32());
        var model = reader.String();
        var version = reader.String();
        reader.Take((4 - reader.Offset % 4) % 4);

        var ids = new int[lengths.Length][];
        var logprobs = new float[lengths.Length][];
        var next = new float[lengths.Length][];
        for (var i = 0; i < lengths.Length; i++)
        {
            ids[i] = reader.Int32s((long)lengths[i] * k);
        }
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
        return new TopKResult(model, version, k, sequences);
    }

    /// <summary>Size in bytes of the per-position payload of an answer (ids, log-probs, next-token log-prob).</summary>
    public static int BytesPerPosition(int k, LogprobPrecision precision) => 4 * k + (int)precision * (k + 1);

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
