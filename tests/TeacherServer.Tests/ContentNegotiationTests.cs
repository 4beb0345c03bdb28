using Distill.Shared.Wire;
using Distill.TeacherServer.Api;
using Microsoft.AspNetCore.Http;

namespace Distill.TeacherServer.Tests;

/// <summary>The answer encoding follows Accept, quality values included.</summary>
public sealed class ContentNegotiationTests
{
    private const string Binary = WireMediaTypes.TopKBinary;

    [Theory]
    [InlineData(null, WireEncoding.Json, LogprobPrecision.Float32)]
    [InlineData("*/*", WireEncoding.Json, LogprobPrecision.Float32)]
    [InlineData(Binary, WireEncoding.Binary, LogprobPrecision.Float32)]
    [InlineData(Binary + "; precision=float16", WireEncoding.Binary, LogprobPrecision.Float16)]
    [InlineData(Binary + ", application/json", WireEncoding.Binary, LogprobPrecision.Float32)]
    [InlineData("application/json;q=0.9, " + Binary, WireEncoding.Binary, LogprobPrecision.Float32)]
    [InlineData(Binary + ";q=0", WireEncoding.Json, LogprobPrecision.Float32)]
    [InlineData(Binary + ";q=0.5, application/json", WireEncoding.Json, LogprobPrecision.Float32)]
    [InlineData(Binary + ";q=0.5, */*;q=0.8", WireEncoding.Json, LogprobPrecision.Float32)]
    [InlineData(Binary + ";q=0.5, application/*;q=0.4", WireEncoding.Binary, LogprobPrecision.Float32)]
    [InlineData(Binary + ";q=0.2, " + Binary + "; precision=float16;q=0.9, application/json;q=0.5", WireEncoding.Binary, LogprobPrecision.Float16)]
    [InlineData("text/html", WireEncoding.Json, LogprobPrecision.Float32)]
    public void Answer_encoding_follows_accept_and_its_quality_values(string? accept, WireEncoding encoding, LogprobPrecision precision)
    {
        var context = new DefaultHttpContext();
        if (accept is not null)
        {
            context.Request.Headers.Accept = accept;
        }
        Assert.Equal((encoding, precision, IdWidth.Int32), ContentNegotiation.AnswerEncoding(context.Request, vocabSize: 4096));
    }

    [Theory]
    [InlineData(Binary + "; ids=uint16", 4096, IdWidth.UInt16)]
    [InlineData(Binary + "; precision=float16; ids=uint16", 65_536, IdWidth.UInt16)]
    [InlineData(Binary + "; ids=uint16", 65_537, IdWidth.Int32)]
    [InlineData(Binary + "; ids=int32", 4096, IdWidth.Int32)]
    [InlineData(Binary, 4096, IdWidth.Int32)]
    public void Uint16_ids_are_used_when_asked_for_and_the_vocabulary_fits(string accept, int vocabSize, IdWidth ids)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Accept = accept;
        Assert.Equal(ids, ContentNegotiation.AnswerEncoding(context.Request, vocabSize).Ids);
    }
}
