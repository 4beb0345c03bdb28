using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Api;

namespace Distill.TeacherServer.Tests;

/// <summary>Answers written in pieces are byte for byte what encoding them whole gives.</summary>
public sealed class StreamedAnswerTests
{
    /// <summary>Long enough to cross many flushes; NaN at each last position, an infinite log-prob, a non-ASCII model name.</summary>
    private static TopKResult Sample()
    {
        var random = new Random(3);
        const int k = 8;
        var sequences = new[] { 700, 1, 2500 }.Select(length => new SequenceTopK(length, k,
            Enumerable.Range(0, length * k).Select(_ => random.Next(50_000)).ToArray(),
            Enumerable.Range(0, length * k).Select(i => i == 5 ? float.NegativeInfinity : (float)(-random.NextDouble() * 20)).ToArray(),
            Enumerable.Range(0, length).Select(t => t == length - 1 ? float.NaN : (float)(-random.NextDouble() * 20)).ToArray())).ToArray();
        return new TopKResult("tiny-é", "0123456789abcdef", k, sequences);
    }

    [Fact]
    public async Task Streamed_json_equals_the_serialized_response()
    {
        var result = Sample();
        using var buffer = new MemoryStream();
        var pipe = PipeWriter.Create(buffer, new StreamPipeWriterOptions(leaveOpen: true));

        await TopKJsonWriter.WriteAsync(result, pipe, encoder: null, CancellationToken.None);
        await pipe.CompleteAsync();

        var expected = JsonSerializer.SerializeToUtf8Bytes(TopKResponse.From(result), WireJsonContext.Default.TopKResponse);
        Assert.True(expected.Length > 200_000, "the sample must cross several flushes");
        Assert.Equal(expected, buffer.ToArray());
    }

    [Theory]
    [InlineData(LogprobPrecision.Float32, 100)]
    [InlineData(LogprobPrecision.Float16, 4096)]
    [InlineData(LogprobPrecision.Float32, 1 << 16)]
    public void Binary_answer_written_in_pieces_equals_the_whole_encoding(LogprobPrecision precision, int pieceBytes)
    {
        var result = Sample();
        var writer = new ArrayBufferWriter<byte>();
        var pieces = TopKBinaryCodec.WriteResponse(result, precision, writer, pieceBytes).ToList();

        var whole = TopKBinaryCodec.EncodeResponse(result, precision);
        Assert.Equal(whole, writer.WrittenSpan.ToArray());
        Assert.Equal(whole.Length, TopKBinaryCodec.ResponseLength(result, precision));
        Assert.Equal(whole.Length, pieces[^1]);
        Assert.True(pieces.Count >= whole.Length / Math.Max(pieceBytes, 4 * result.K) / 2, $"{pieces.Count} pieces for {whole.Length} bytes");
    }
}
