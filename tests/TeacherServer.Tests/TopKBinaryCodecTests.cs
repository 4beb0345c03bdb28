using Distill.Shared.Wire;

namespace Distill.TeacherServer.Tests;

public class TopKBinaryCodecTests
{
    private static TopKResult SampleResult(int seed, int maxId = 50_000)
    {
        var random = new Random(seed);
        const int k = 3;
        var sequences = new[] { 1, 4, 2 }.Select(length => new SequenceTopK(length, k,
            Enumerable.Range(0, length * k).Select(_ => random.Next(maxId)).ToArray(),
            Enumerable.Range(0, length * k).Select(_ => (float)(-random.NextDouble() * 20)).ToArray(),
            Enumerable.Range(0, length).Select(t => t == length - 1 ? float.NaN : (float)(-random.NextDouble() * 20)).ToArray())).ToArray();
        return new TopKResult("tiny-é", "0123456789abcdef", k, sequences);
    }

    [Fact]
    public void Request_round_trips()
    {
        var request = new TopKRequest([[1, 2, 3], [7], [int.MaxValue, 0]], 64, 0.7f);
        var decoded = TopKBinaryCodec.DecodeRequest(TopKBinaryCodec.EncodeRequest(request));
        Assert.Equal(request.K, decoded.K);
        Assert.Equal(request.Temperature, decoded.Temperature);
        Assert.Equal(request.Sequences, decoded.Sequences);
    }

    [Fact]
    public void Request_layout_is_little_endian_as_documented()
    {
        var bytes = TopKBinaryCodec.EncodeRequest(new TopKRequest([[258]], 2, 1f));
        byte[] expected = [(byte)'D', (byte)'K', (byte)'Q', (byte)'1', 2, 0, 0, 0, 0, 0, 0x80, 0x3F, 1, 0, 0, 0, 1, 0, 0, 0, 2, 1, 0, 0];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Answer_layout_is_little_endian_as_documented()
    {
        var result = new TopKResult("m", "v", 1, [new SequenceTopK(2, 1, [7, 258], [-1f, -2f], [-0.5f, float.NaN])]);
        byte[] expected =
        [
            (byte)'D', (byte)'K', (byte)'R', (byte)'1', 4, 0, 0, 0,
            1, 0, 0, 0, // k
            1, 0, 0, 0, // n
            2, 0, 0, 0, // length of sequence 0
            1, 0, 0, 0, (byte)'m',
            1, 0, 0, 0, (byte)'v',
            0, 0, // padding: 30 bytes so far
            7, 0, 0, 0, 2, 1, 0, 0, // ids
            0, 0, 0x80, 0xBF, 0, 0, 0, 0xC0, // log-probs -1, -2
            0, 0, 0, 0xBF, 0, 0, 0xC0, 0xFF, // next-token log-probs -0.5, NaN (.NET's float.NaN; any NaN means "none")
        ];
        Assert.Equal(expected, TopKBinaryCodec.EncodeResponse(result));
    }

    [Fact]
    public void Float32_answer_round_trips_exactly()
    {
        var result = SampleResult(1);
        var decoded = TopKBinaryCodec.DecodeResponse(TopKBinaryCodec.EncodeResponse(result));
        Assert.Equal(result.Model, decoded.Model);
        Assert.Equal(result.Version, decoded.Version);
        Assert.Equal(result.K, decoded.K);
        Assert.Equal(result.Sequences.Count, decoded.Sequences.Count);
        for (var i = 0; i < result.Sequences.Count; i++)
        {
            Assert.Equal(result.Sequences[i].Length, decoded.Sequences[i].Length);
            Assert.Equal(result.Sequences[i].Ids, decoded.Sequences[i].Ids);
            Assert.Equal(result.Sequences[i].Logprobs, decoded.Sequences[i].Logprobs);
            Assert.Equal(result.Sequences[i].NextTokenLogprobs, decoded.Sequences[i].NextTokenLogprobs);
            Assert.True(float.IsNaN(decoded.Sequences[i].NextTokenLogprobs[^1]));
        }
    }

    [Fact]
    public void Float16_answer_round_trips_within_half_precision()
    {
        var result = SampleResult(2);
        var bytes = TopKBinaryCodec.EncodeResponse(result, LogprobPrecision.Float16);
        var decoded = TopKBinaryCodec.DecodeResponse(bytes);
        for (var i = 0; i < result.Sequences.Count; i++)
        {
            Assert.Equal(result.Sequences[i].Ids, decoded.Sequences[i].Ids);
            foreach (var (sent, received) in result.Sequences[i].Logprobs.Zip(decoded.Sequences[i].Logprobs))
            {
                Assert.Equal(sent, received, Math.Abs(sent) * 1e-3f + 1e-4f);
            }
            Assert.True(float.IsNaN(decoded.Sequences[i].NextTokenLogprobs[^1]));
        }
        Assert.True(bytes.Length < TopKBinaryCodec.EncodeResponse(result).Length);
    }

    [Fact]
    public void Bytes_per_position_at_k64()
    {
        Assert.Equal(64 * 4 + 65 * 4, TopKBinaryCodec.BytesPerPosition(64, LogprobPrecision.Float32));
        Assert.Equal(64 * 4 + 65 * 2, TopKBinaryCodec.BytesPerPosition(64, LogprobPrecision.Float16));
    }

    public static TheoryData<string, byte[], string> MalformedRequests()
    {
        var valid = TopKBinaryCodec.EncodeRequest(new TopKRequest([[1, 2], [3]], 2, 1f));
        var negativeCount = (byte[])valid.Clone();
        negativeCount[12] = 0xFF; negativeCount[13] = 0xFF; negativeCount[14] = 0xFF; negativeCount[15] = 0xFF;
        var negativeLength = (byte[])valid.Clone();
        negativeLength[16] = 0xFF; negativeLength[17] = 0xFF; negativeLength[18] = 0xFF; negativeLength[19] = 0xFF;
        var hugeLength = (byte[])valid.Clone();
        hugeLength[16] = 0xFF; hugeLength[17] = 0xFF; hugeLength[18] = 0xFF; hugeLength[19] = 0x7F;
        var badMagic = (byte[])valid.Clone();
        badMagic[0] = (byte)'X';
        return new TheoryData<string, byte[], string>
        {
            { "empty", [], "ends early" },
            { "truncated", valid[..^1], "ends early" },
            { "trailing", [.. valid, 0], "1 unexpected bytes after the end" },
            { "magic", badMagic, "magic \"DKQ1\", \"DKQ2\" or \"DKQ3\"" },
            { "negative count", negativeCount, "Negative sequence count -1" },
            { "negative length", negativeLength, "Negative sequence length -1" },
            { "length past the end", hugeLength, "ends early" },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public void Malformed_request_is_a_wire_format_error_naming_the_defect(string why, byte[] bytes, string defect)
    {
        var e = Assert.Throws<WireFormatException>(() => TopKBinaryCodec.DecodeRequest(bytes));
        Assert.True(e.Message.Contains(defect, StringComparison.Ordinal), $"{why}: \"{e.Message}\" does not say \"{defect}\"");
    }

    [Fact]
    public void A_request_from_a_start_round_trips_in_the_DKQ2_form_and_one_without_keeps_DKQ1()
    {
        var request = new TopKRequest([[1, 2, 3], [7, 8]], 8, 1f, Start: 1);
        var bytes = TopKBinaryCodec.EncodeRequest(request);
        Assert.Equal("DKQ2"u8.ToArray(), bytes[..4]);
        Assert.Equal([1, 0, 0, 0], bytes[12..16]);
        var decoded = TopKBinaryCodec.DecodeRequest(bytes);
        Assert.Equal(1, decoded.Start);
        Assert.Equal(request.Sequences, decoded.Sequences);
        Assert.Equal("DKQ1"u8.ToArray(), TopKBinaryCodec.EncodeRequest(request with { Start = 0 })[..4]);
    }

    [Fact]
    public void Answer_with_uint16_ids_and_a_start_has_the_documented_DKR2_layout()
    {
        var result = new TopKResult("m", "v", 1, [new SequenceTopK(3, 1, [7, 258, 65535], [-1f, -2f, -3f], [-0.5f, -0.25f, float.NaN])], Start: 5);
        byte[] expected =
        [
            (byte)'D', (byte)'K', (byte)'R', (byte)'2', 2, 2, 0, 0, // float16 log-probs, uint16 ids
            1, 0, 0, 0, // k
            1, 0, 0, 0, // n
            5, 0, 0, 0, // start
            3, 0, 0, 0, // positions of sequence 0
            1, 0, 0, 0, (byte)'m',
            1, 0, 0, 0, (byte)'v',
            0, 0, // padding: 34 bytes so far
            7, 0, 2, 1, 0xFF, 0xFF, // ids
            0, 0, // padding of the ids section to a multiple of 4
            0x00, 0xBC, 0x00, 0xC0, 0x00, 0xC2, // log-probs -1, -2, -3 as float16
            0x00, 0xB8, 0x00, 0xB4, 0x00, 0xFE, // next-token log-probs -0.5, -0.25, NaN
        ];
        var bytes = TopKBinaryCodec.EncodeResponse(result, LogprobPrecision.Float16, IdWidth.UInt16);
        Assert.Equal(expected, bytes);
        var decoded = TopKBinaryCodec.DecodeResponse(bytes);
        Assert.Equal(5, decoded.Start);
        Assert.Equal(result.Sequences[0].Ids, decoded.Sequences[0].Ids);
        Assert.Equal(result.Sequences[0].Logprobs, decoded.Sequences[0].Logprobs);
    }

    [Theory]
    [InlineData(LogprobPrecision.Float32)]
    [InlineData(LogprobPrecision.Float16)]
    public void Uint16_ids_round_trip_and_take_2k_bytes_less_a_position(LogprobPrecision precision)
    {
        var result = SampleResult(4, maxId: 65_536);
        var compact = TopKBinaryCodec.EncodeResponse(result, precision, IdWidth.UInt16);
        var decoded = TopKBinaryCodec.DecodeResponse(compact);
        for (var i = 0; i < result.Sequences.Count; i++)
        {
            Assert.Equal(result.Sequences[i].Ids, decoded.Sequences[i].Ids);
        }
        Assert.Equal(TopKBinaryCodec.ResponseLength(result, precision, IdWidth.UInt16), compact.Length);
        var wide = TopKBinaryCodec.EncodeResponse(result, precision);
        Assert.Equal(2L * result.K * result.Positions, wide.Length - compact.Length, tolerance: 4 + 2); // + the DKR2 start field and id padding
    }

    [Fact]
    public void Float16_with_uint16_ids_is_4k_plus_2_bytes_a_position()
    {
        Assert.Equal(4 * 64 + 2, TopKBinaryCodec.BytesPerPosition(64, LogprobPrecision.Float16, IdWidth.UInt16));
    }

    [Fact]
    public void An_id_that_does_not_fit_16_bits_is_refused_not_wrapped()
    {
        var result = new TopKResult("m", "v", 1, [new SequenceTopK(1, 1, [65_536], [-1f], [float.NaN])]);
        Assert.Throws<OverflowException>(() => TopKBinaryCodec.EncodeResponse(result, LogprobPrecision.Float16, IdWidth.UInt16));
    }

    [Fact]
    public void Truncated_answer_is_a_wire_format_error()
    {
        var bytes = TopKBinaryCodec.EncodeResponse(SampleResult(3));
        Assert.Throws<WireFormatException>(() => TopKBinaryCodec.DecodeResponse(bytes.AsSpan(0, bytes.Length - 2)));
    }
}
