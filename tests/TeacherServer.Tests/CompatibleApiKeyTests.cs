using System.Net;
using System.Text;
using System.Text.Json;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>The compatible endpoints take the API key as /v1 does (a Bearer token, as OpenAI clients send it); /health stays open.</summary>
public sealed class CompatibleApiKeyTests : IDisposable
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
}
