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
        ArgumentNullException.ThrowIfNull(result);
        if (precision is not (LogprobPrecision.Float32 or LogprobPrecision.Float16))
        {
            throw new ArgumentOutOfRangeException(nameof(precision));
        }
        var model = Encoding.UTF8.GetBytes(result.Model);
        var version = Encoding.UTF8.GetBytes(result.Version);
        var k = result.K;
        long positions = result.Positions;
        var width = (int)precision;
        var header = 16 + 4 * result.Sequences.Count + 4 + model.Length + 4 + version.Length;
        var padding = (4 - header % 4) % 4;
        var buffer = new byte[checked(header + padding + 4 * positions * k + width * positions * k + width * positions)];
        var span = buffer.AsSpan();

        ResponseMagic.CopyTo(span);
        span[4] = (byte)precision;
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], k);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], result.Sequences.Count);
        var offset = 16;
        foreach (var sequence in result.Sequences)
        {
            if (sequence.K != k)
            {
                throw new ArgumentException($"A sequence has k = {sequence.K} in an answer with k = {k}.", nameof(result));
            }
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], sequence.Length);
            offset += 4;
        }
        offset = WriteString(span, offset, model);
        offset = WriteString(span, offset, version) + padding;

        foreach (var sequence in result.Sequences)
        {
            WriteInt32s(span[offset..], sequence.Ids.AsSpan(0, sequence.Length * k));
            offset += 4 * sequence.Length * k;
        }
        foreach (var sequence in result.Sequences)
        {
            offset += WriteFloats(span[offset..], sequence.Logprobs.AsSpan(0, sequence.Length * k), precision);
        }
        foreach (var sequence in result.Sequences)
        {
            offset += WriteFloats(span[offset..], sequence.NextTokenLogprobs.AsSpan(0, sequence.Length), precision);
        }
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
