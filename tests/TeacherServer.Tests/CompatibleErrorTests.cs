using System.Net;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>Bad requests to the compatible endpoints get vLLM's error body with the status the shared admission gives.</summary>
public sealed class CompatibleErrorTests : IDisposable
{
    private readonly TeacherHost host = TeacherHost.Start(models =>
    {
        TinyOnnxModel.WriteFolder(Path.Combine(models, "teacher"), vocab: 32, context: 16);
        TinyOnnxModel.WriteFolder(Path.Combine(models, "other"), vocab: 32, context: 16, seed: 2);
    }, new Dictionary<string, string?> { ["TeacherServer:MaxK"] = "4", ["TeacherServer:MaxRequestBytes"] = "4096" });

    public void Dispose() => host.Dispose();

    [Theory]
    [InlineData("""{"model": "teacher", "prompt": [[1, 2, 3]], "max_tokens": 1, "prompt_logprobs": 5}""", "prompt logprobs of 5")]
    [InlineData("""{"model": "teacher", "prompt": [[1, 2, 32]], "max_tokens": 1, "prompt_logprobs": 2}""", "not a token id")]
    [InlineData("""{"model": "teacher", "prompt": [[1, -2, 3]], "max_tokens": 1, "prompt_logprobs": 2}""", "not a token id")]
    [InlineData("""{"model": "teacher", "prompt": [[1, 2.5, 3]], "max_tokens": 1, "prompt_logprobs": 2}""", "not a token id")]
    [InlineData("""{"model": "teacher", "prompt": [[]], "max_tokens": 1, "prompt_logprobs": 2}""", "empty")]
    [InlineData("""{"model": "teacher", "prompt": {"ids": [1]}, "max_tokens": 1}""", "token ids")]
    [InlineData("""{"model": "teacher", "max_tokens": 1}""", "'prompt' is required")]
    [InlineData("""{"model": "teacher", "prompt": [1, 2], "max_tokens": -1}""", "max_tokens")]
    [InlineData("""{"model": "teacher", "prompt": [1, 2], "max_tokens": 15}""", "accepts here is 1")]
    [InlineData("""{"model": "teacher", "prompt": [1, 2], "stream": true}""", "stream")]
    [InlineData("""{"model": "teacher", "prompt": [1, 2], "logprobs": 2}""", "prompt_logprobs")]
    [InlineData("""{"model": "teacher", "prompt": "text", "max_tokens": 1}""", "no loadable tokenizer")]
    [InlineData("""{"model": "teacher", "prompt": [1, 2], """, "not a valid request")]
    public async Task A_bad_completion_request_gets_400(string body, string messagePart)
    {
        await host.WaitForModelAsync("other");
        var (status, answer) = await CompatibleCalls.PostAsync(host.Client, "/v1/completions", body);
        CompatibleCalls.AssertError(HttpStatusCode.BadRequest, "BadRequestError", status, answer, messagePart);
    }

    [Fact]
    public async Task An_unknown_model_gets_404()
    {
        await host.WaitForModelAsync("other");
        var (status, answer) = await CompatibleCalls.PostAsync(host.Client, "/v1/completions", """{"model": "nope", "prompt": [1, 2], "max_tokens": 1}""");
        CompatibleCalls.AssertError(HttpStatusCode.NotFound, "NotFoundError", status, answer, "nope");
    }

    [Fact]
    public async Task A_body_over_the_request_limit_gets_413()
    {
        await host.WaitForModelAsync("other");
        var prompt = string.Join(", ", Enumerable.Repeat(1, 3000));
        var (status, answer) = await CompatibleCalls.PostAsync(host.Client, "/v1/completions", $$"""{"model": "teacher", "prompt": [{{prompt}}]}""");
        CompatibleCalls.AssertError(HttpStatusCode.RequestEntityTooLarge, "RequestTooLargeError", status, answer);
    }

    [Theory]
    [InlineData("""{"input_ids": [1, 2], "sampling_params": {"max_new_tokens": 0}}""", "name one in 'model'")]
    [InlineData("""{"input_ids": [1, 2], "text": "x", "model": "teacher"}""", "exactly one")]
    [InlineData("""{"input_ids": [1, 2], "model": "teacher", "sampling_params": {"max_new_tokens": 0}, "return_logprob": true, "logprob_start_len": 2}""", "past the end")]
    [InlineData("""{"input_ids": [1, 2], "model": "teacher", "sampling_params": {"max_new_tokens": 0}, "return_logprob": true, "logprob_start_len": 0, "top_logprobs_num": 5}""", "prompt logprobs of 5")]
    public async Task A_bad_sglang_request_gets_400(string body, string messagePart)
    {
        await host.WaitForModelAsync("other");
        var (status, answer) = await CompatibleCalls.PostAsync(host.Client, "/generate", body);
        CompatibleCalls.AssertError(HttpStatusCode.BadRequest, "BadRequestError", status, answer, messagePart);
    }
}
