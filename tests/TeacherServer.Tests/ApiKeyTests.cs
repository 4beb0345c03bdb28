using System.Net;
using System.Text;
using System.Text.Json;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

public sealed class ApiKeyTests : IDisposable
{
    private readonly TeacherHost host = TeacherHost.Start(
        models => TinyOnnxModel.WriteFolder(Path.Combine(models, "tiny")),
        new Dictionary<string, string?> { ["TeacherServer:ApiKey"] = "s3cret" });

    public void Dispose() => host.Dispose();

    private static async Task WaitForModelAsync(HttpClient keyed, string name)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if ((await keyed.GetStringAsync("/v1/models")).Contains($"\"{name}\"", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Model {name} did not load.");
    }

    /// <summary>The compatible endpoints take the key as /v1 does (a Bearer token, as OpenAI clients send it) and refuse in vLLM's error body; /health stays open.</summary>
    [Theory]
    [InlineData("/v1/completions", """{"model": "tiny", "prompt": [1, 2], "max_tokens": 0, "prompt_logprobs": 1}""")]
    [InlineData("/generate", """{"input_ids": [1, 2], "sampling_params": {"max_new_tokens": 0}, "return_logprob": true, "logprob_start_len": 0}""")]
    public async Task Without_the_key_401_in_vllms_error_body_and_with_it_200(string path, string body)
    {
        using var keyed = host.CreateClient();
        keyed.DefaultRequestHeaders.Add("X-Api-Key", "s3cret");
        await WaitForModelAsync(keyed, "tiny");
        var (status, answer) = await CompatibleCalls.PostAsync(host.Client, path, body);
        CompatibleCalls.AssertError(HttpStatusCode.Unauthorized, "AuthenticationError", status, answer);

        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer s3cret");
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(JsonValueKind.Undefined, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.ValueKind);

        using var health = await host.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData(null, null, HttpStatusCode.Unauthorized)]
    [InlineData("X-Api-Key", "wrong", HttpStatusCode.Unauthorized)]
    [InlineData("Authorization", "Bearer wrong", HttpStatusCode.Unauthorized)]
    [InlineData("X-Api-Key", "s3cret", HttpStatusCode.OK)]
    [InlineData("Authorization", "Bearer s3cret", HttpStatusCode.OK)]
    public async Task V1_needs_the_key(string? header, string? value, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Health_stays_open()
    {
        using var response = await host.Client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
