using System.Text.Json;
using Distill.Shared.Wire;

namespace Distill.TeacherServer.Tests;

/// <summary>Per-sequence starts on the wire: the DKQ3 and DKR3 forms and the JSON "starts" field; the older forms unchanged.</summary>
public sealed class PerSequenceStartsCodecTests
{
    [Fact]
    public void A_request_with_per_sequence_starts_has_the_documented_DKQ3_layout_and_round_trips()
    {
        var request = new TopKRequest([[258, 3], [7]], 2, 1f, Starts: [1, 0]);
        byte[] expected =
        [
            (byte)'D', (byte)'K', (byte)'Q', (byte)'3',
            2, 0, 0, 0, // k
            0, 0, 0x80, 0x3F, // temperature 1
            2, 0, 0, 0, // n
            2, 0, 0, 0, 1, 0, 0, 0, // lengths
            1, 0, 0, 0, 0, 0, 0, 0, // starts
            2, 1, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0, // token ids
        ];
        var bytes = TopKBinaryCodec.EncodeRequest(request);
        Assert.Equal(expected, bytes);

        var decoded = TopKBinaryCodec.DecodeRequest(bytes);
        Assert.Equal(request.Sequences, decoded.Sequences);
        Assert.Equal([1, 0], decoded.Starts!);
        Assert.Equal(0, decoded.Start);
        Assert.Equal(1, decoded.StartOf(0));
    }

    [Fact]
    public void Requests_without_per_sequence_starts_keep_their_older_forms()
    {
        Assert.Equal("DKQ1"u8.ToArray(), TopKBinaryCodec.EncodeRequest(new TopKRequest([[1, 2]], 2))[..4]);
        Assert.Equal("DKQ2"u8.ToArray(), TopKBinaryCodec.EncodeRequest(new TopKRequest([[1, 2]], 2, Start: 1))[..4]);
        Assert.Null(TopKBinaryCodec.DecodeRequest(TopKBinaryCodec.EncodeRequest(new TopKRequest([[1, 2]], 2, Start: 1))).Starts);
        Assert.DoesNotContain("starts", JsonSerializer.Serialize(new TopKRequest([[1, 2]], 2, Start: 1), WireJsonContext.Default.TopKRequest));
    }

    [Fact]
    public void A_truncated_DKQ3_request_is_a_wire_format_error()
    {
        var bytes = TopKBinaryCodec.EncodeRequest(new TopKRequest([[1, 2], [3]], 2, 1f, Starts: [1, 0]));
        Assert.Throws<WireFormatException>(() => TopKBinaryCodec.DecodeRequest(bytes[..24]));
    }

    [Fact]
    public void Starts_that_are_not_one_per_sequence_or_come_with_a_start_are_refused_by_the_encoder()
    {
        Assert.Throws<ArgumentException>(() => TopKBinaryCodec.EncodeRequest(new TopKRequest([[1, 2], [3]], 2, Starts: [1])));
        Assert.Throws<ArgumentException>(() => TopKBinaryCodec.EncodeRequest(new TopKRequest([[1, 2]], 2, Start: 1, Starts: [1])));
    }

    [Fact]
    public void An_answer_with_per_sequence_starts_has_the_documented_DKR3_layout_and_round_trips()
    {
        var result = new TopKResult("m", "v", 1,
            [new SequenceTopK(1, 1, [7], [-1f], [float.NaN]), new SequenceTopK(2, 1, [258, 9], [-2f, -3f], [-0.5f, float.NaN])], Starts: [4, 0]);
        byte[] expected =
        [
            (byte)'D', (byte)'K', (byte)'R', (byte)'3', 4, 4, 0, 0, // float32 log-probs, int32 ids
            1, 0, 0, 0, // k
            2, 0, 0, 0, // n
            1, 0, 0, 0, 2, 0, 0, 0, // positions answered of each sequence
            4, 0, 0, 0, 0, 0, 0, 0, // start of each sequence
            1, 0, 0, 0, (byte)'m',
            1, 0, 0, 0, (byte)'v',
            0, 0, // padding: 42 bytes so far
            7, 0, 0, 0, 2, 1, 0, 0, 9, 0, 0, 0, // ids
            0, 0, 0x80, 0xBF, 0, 0, 0, 0xC0, 0, 0, 0x40, 0xC0, // log-probs -1, -2, -3
            0, 0, 0xC0, 0xFF, 0, 0, 0, 0xBF, 0, 0, 0xC0, 0xFF, // next-token log-probs NaN, -0.5, NaN
        ];
        var bytes = TopKBinaryCodec.EncodeResponse(result);
        Assert.Equal(expected, bytes);
        Assert.Equal(bytes.Length, TopKBinaryCodec.ResponseLength(result));

        var decoded = TopKBinaryCodec.DecodeResponse(bytes);
        Assert.Equal([4, 0], decoded.Starts);
        Assert.Equal(4, decoded.StartOf(0));
        Assert.Equal(result.Sequences[1].Ids, decoded.Sequences[1].Ids);
        Assert.Equal(result.Sequences[1].Logprobs, decoded.Sequences[1].Logprobs);
    }

    [Fact]
    public void A_DKR3_answer_with_compact_ids_and_float16_round_trips()
    {
        var result = new TopKResult("m", "v", 2, [new SequenceTopK(1, 2, [7, 65_535], [-1f, -2f], [float.NaN])], Starts: [3]);
        var decoded = TopKBinaryCodec.DecodeResponse(TopKBinaryCodec.EncodeResponse(result, LogprobPrecision.Float16, IdWidth.UInt16));
        Assert.Equal([3], decoded.Starts);
        Assert.Equal(result.Sequences[0].Ids, decoded.Sequences[0].Ids);
        Assert.Equal(result.Sequences[0].Logprobs, decoded.Sequences[0].Logprobs);
    }

    [Fact]
    public void A_DKR3_answer_with_a_negative_start_is_a_wire_format_error()
    {
        var bytes = TopKBinaryCodec.EncodeResponse(new TopKResult("m", "v", 1, [new SequenceTopK(1, 1, [7], [-1f], [float.NaN])], Starts: [3]));
        bytes[20] = 0xFF; bytes[21] = 0xFF; bytes[22] = 0xFF; bytes[23] = 0xFF;
        var e = Assert.Throws<WireFormatException>(() => TopKBinaryCodec.DecodeResponse(bytes));
        Assert.Contains("Negative start -1", e.Message);
    }

    [Fact]
    public void The_json_request_reads_and_writes_starts()
    {
        var request = JsonSerializer.Deserialize("""{"sequences":[[1,2,3],[4]],"k":2,"starts":[2,0]}""", WireJsonContext.Default.TopKRequest)!;
        Assert.Equal([2, 0], request.Starts!);
        Assert.Contains("\"starts\":[2,0]", JsonSerializer.Serialize(request, WireJsonContext.Default.TopKRequest));
    }
}
