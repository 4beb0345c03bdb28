using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Distill.Shared.Wire;
using Distill.TeacherServer.Models;
using Distill.TeacherServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Distill.TeacherServer.Tests;

/// <summary>Every bad input gets its 4xx with a ProblemDetails body, never a 500.</summary>
public sealed class BadInputTests : IDisposable
{
    private const int Vocab = 32;
    private const int Context = 16;
    private readonly TeacherHost host = TeacherHost.Start(
        models => TinyOnnxModel.WriteFolder(Path.Combine(models, "tiny"), vocab: Vocab, context: Context),
        new Dictionary<string, string?> { ["TeacherServer:MaxRequestBytes"] = "4096", ["TeacherServer:MaxK"] = "16", ["TeacherServer:MaxQueue"] = "2" });

    public void Dispose() => host.Dispose();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <param name="detail">Words the problem's detail must contain: it says what is wrong, not only that something is.</param>
    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string? detail = null, string? why = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{why}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"status\":" + (int)expected, body);
        if (detail is not null)
        {
            using var problem = System.Text.Json.JsonDocument.Parse(body);
            var text = problem.RootElement.GetProperty("detail").GetString();
            Assert.True(text?.Contains(detail, StringComparison.Ordinal) == true, $"{why}: the detail \"{text}\" does not say \"{detail}\"");
        }
    }

    public static TheoryData<string, string, string> BadTopKBodies() => new()
    {
        { "token id above the vocabulary", $$"""{"sequences":[[1,{{Vocab}}]],"k":2}""", $"sequences[0][1] = {Vocab} is not a token id" },
        { "negative token id", """{"sequences":[[1,-1]],"k":2}""", "sequences[0][1] = -1 is not a token id" },
        { "empty sequence", """{"sequences":[[1,2],[]],"k":2}""", "sequences[1] is empty" },
        { "no sequences", """{"sequences":[],"k":2}""", "sequences must hold at least one sequence" },
        { "missing sequences", """{"k":2}""", "sequences must hold at least one sequence" },
        { "null sequence", """{"sequences":[null],"k":2}""", "sequences[0] is empty" },
        { "longer than the context", $$"""{"sequences":[[{{string.Join(",", Enumerable.Repeat(1, Context + 1))}}]],"k":2}""", $"sequences[0] has {Context + 1} tokens" },
        { "k zero", """{"sequences":[[1]],"k":0}""", "k = 0 is outside [1, 16]" },
        { "k negative", """{"sequences":[[1]],"k":-3}""", "k = -3 is outside" },
        { "k above max k", """{"sequences":[[1]],"k":17}""", "k = 17 is outside [1, 16]" },
        { "temperature zero", """{"sequences":[[1]],"k":2,"temperature":0}""", "temperature = 0 must be finite and at least" },
        { "temperature negative", """{"sequences":[[1]],"k":2,"temperature":-1}""", "temperature = -1 must be finite" },
        { "temperature NaN", """{"sequences":[[1]],"k":2,"temperature":"NaN"}""", "must be finite" },
        { "temperature Infinity", """{"sequences":[[1]],"k":2,"temperature":"Infinity"}""", "must be finite" },
        { "temperature too small to divide by", """{"sequences":[[1]],"k":2,"temperature":1e-30}""", "must be finite and at least" },
        { "malformed JSON", """{"sequences":[[1,2]""", "not a valid request" },
        { "wrong JSON types", """{"sequences":"abc","k":2}""", "not a valid request" },
        { "token id overflows int32", """{"sequences":[[99999999999]],"k":2}""", "not a valid request" },
        { "JSON null", "null", "empty or null" },
        { "empty body", "", "not a valid request" },
    };

    [Theory]
    [MemberData(nameof(BadTopKBodies))]
    public async Task Bad_topk_json_is_400_saying_what_is_wrong(string why, string body, string detail)
    {
        await host.WaitForModelAsync("tiny");
        using var response = await host.Client.PostAsync("/v1/models/tiny/topk", Json(body));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, detail, why);
    }

    [Fact]
    public async Task Temperature_infinity_is_400()
    {
        await host.WaitForModelAsync("tiny");
        var bytes = TopKBinaryCodec.EncodeRequest(new TopKRequest([[1, 2]], 2, float.PositiveInfinity));
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(WireMediaTypes.TopKBinary);
        using var response = await host.Client.PostAsync("/v1/models/tiny/topk", content);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Malformed_binary_is_400()
    {
        await host.WaitForModelAsync("tiny");
        var bytes = TopKBinaryCodec.EncodeRequest(new TopKRequest([[1, 2]], 2, 1f));
        using var content = new ByteArrayContent(bytes[..^2]);
        content.Headers.ContentType = new MediaTypeHeaderValue(WireMediaTypes.TopKBinary);
        using var response = await host.Client.PostAsync("/v1/models/tiny/topk", content);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unknown_model_is_404()
    {
        await host.WaitForModelAsync("tiny");
        using var response = await host.Client.PostAsync("/v1/models/nope/topk", Json("""{"sequences":[[1]],"k":1}"""));
        await AssertProblemAsync(response, HttpStatusCode.NotFound);
        using var generate = await host.Client.PostAsync("/v1/models/nope/generate", Json("""{"prompts":[[1]]}"""));
        await AssertProblemAsync(generate, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Body_over_the_limit_is_413()
    {
        await host.WaitForModelAsync("tiny");
        var big = $$"""{"sequences":[[{{string.Join(",", Enumerable.Repeat(1, 3000))}}]],"k":1}""";
        using var response = await host.Client.PostAsync("/v1/models/tiny/topk", Json(big));
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Unsupported_content_type_is_415()
    {
        await host.WaitForModelAsync("tiny");
        using var response = await host.Client.PostAsync("/v1/models/tiny/topk", new StringContent("x", Encoding.UTF8, "text/plain"));
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Full_queue_is_429_with_retry_after()
    {
        await host.WaitForModelAsync("tiny");
        var registry = host.Services.GetRequiredService<ModelRegistry>();
        Assert.Equal(LeaseOutcome.Acquired, registry.TryAcquire("tiny", admit: true, out var first));
        Assert.Equal(LeaseOutcome.Acquired, registry.TryAcquire("tiny", admit: true, out var second));
        using (first)
        using (second)
        {
            using var response = await host.Client.PostAsync("/v1/models/tiny/topk", Json("""{"sequences":[[1]],"k":1}"""));
            await AssertProblemAsync(response, (HttpStatusCode)429);
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        }
        using var after = await host.Client.PostAsync("/v1/models/tiny/topk", Json("""{"sequences":[[1]],"k":1}"""));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    public static TheoryData<string, string, string> BadGenerateBodies() => new()
    {
        { "empty prompt", """{"prompts":[[]]}""", "prompts[0] is empty" },
        { "token outside vocabulary", $$"""{"prompts":[[{{Vocab}}]]}""", $"prompts[0][0] = {Vocab} is not a token id" },
        { "prompt fills the context", $$"""{"prompts":[[{{string.Join(",", Enumerable.Repeat(1, Context))}}]]}""", $"the most this model accepts here is {Context - 1}" },
        { "zero max_new_tokens", """{"prompts":[[1]],"max_new_tokens":0}""", "max_new_tokens = 0 is outside" },
        { "top_p zero", """{"prompts":[[1]],"top_p":0}""", "top_p = 0 is outside (0, 1]" },
        { "top_p above one", """{"prompts":[[1]],"top_p":1.5}""", "top_p = 1.5 is outside (0, 1]" },
        { "temperature zero", """{"prompts":[[1]],"temperature":0}""", "temperature = 0 must be finite" },
        { "malformed", """{"prompts":""", "not a valid request" },
    };

    [Theory]
    [MemberData(nameof(BadGenerateBodies))]
    public async Task Bad_generate_json_is_400_saying_what_is_wrong(string why, string body, string detail)
    {
        await host.WaitForModelAsync("tiny");
        using var response = await host.Client.PostAsync("/v1/models/tiny/generate", Json(body));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, detail, why);
    }

    [Theory]
    [InlineData("Content-Type", "///", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("Accept", "///;;;=", HttpStatusCode.OK)]
    [InlineData("Accept", "text/html", HttpStatusCode.OK)]
    public async Task Garbled_headers_do_not_break_the_server(string header, string value, HttpStatusCode expected)
    {
        await host.WaitForModelAsync("tiny");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/tiny/topk")
        {
            Content = new ByteArrayContent("""{"sequences":[[1]],"k":1}"""u8.ToArray()),
        };
        if (header == "Accept")
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }
        else
        {
            request.Content.Headers.TryAddWithoutValidation(header, value);
        }
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_route_is_a_404_problem()
    {
        using var response = await host.Client.GetAsync("/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
