using System.Net;
using System.Net.Http.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>Health, metrics, OpenAPI and generate.</summary>
public sealed class ServiceEndpointsTests
{
    [Fact]
    public async Task Ready_only_once_a_model_is_loaded()
    {
        using var host = TeacherHost.Start(_ => { });
        using (var live = await host.Client.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        using (var notReady = await host.Client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        }
        TinyOnnxModel.WriteFolder(Path.Combine(host.ModelsFolder, "late"));
        await host.WaitForModelAsync("late");
        using var ready = await host.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Metrics_and_openapi_are_served()
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "metered")));
        await host.WaitForModelAsync("metered");
        await TopKCalls.JsonAsync(host.Client, "metered", new TopKRequest([[1, 2, 3]], 2, 1f));

        // The registry is process-wide: the model's own series (its name is used by no other test) have exact values.
        var metrics = await host.Client.GetStringAsync("/metrics");
        Assert.Equal(3, Sample(metrics, "distill_tokens_served_total{model=\"metered\"}"));
        Assert.Equal(1, Sample(metrics, "distill_topk_requests_total{model=\"metered\",encoding=\"json\"}"));
        Assert.Equal(1, Sample(metrics, "distill_batch_rows_count{model=\"metered\"}"));
        Assert.Equal(1, Sample(metrics, "distill_batch_rows_sum{model=\"metered\"}"));
        Assert.Equal(3, Sample(metrics, "distill_batch_tokens_sum{model=\"metered\"}"));
        Assert.Equal(0, Sample(metrics, "distill_queue_depth{model=\"metered\"}"));
        Assert.Equal(1, Sample(metrics, "distill_model_swaps_total{model=\"metered\"}"));
        Assert.True(Sample(metrics, "http_request_duration_seconds_count{code=\"200\",method=\"POST\",controller=\"\",action=\"\",endpoint=\"/v1/models/{name}/topk\"}") >= 1);

        var openApi = await host.Client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/v1/models/{name}/topk", openApi);
        Assert.Contains("/v1/models/{name}/generate", openApi);
        Assert.Contains(WireMediaTypes.TopKBinary, openApi);
    }

    [Fact]
    public async Task Generate_is_reproducible_with_a_seed_and_respects_its_limits()
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "writer"), vocab: 32, context: 16, eos: 31));
        await host.WaitForModelAsync("writer");
        var request = new GenerateRequest([[1, 2, 3], [4]], MaxNewTokens: 6, Temperature: 1.5f, TopP: 0.9f, Seed: 42, StopAtEos: false);

        var first = await GenerateAsync(host, request);
        var second = await GenerateAsync(host, request);
        Assert.Equal(42, first.Seed);
        Assert.Equal(first.Completions.Select(c => c.Tokens), second.Completions.Select(c => c.Tokens));
        Assert.All(first.Completions, c =>
        {
            Assert.Equal(6, c.Tokens.Length);
            Assert.Equal("length", c.FinishReason);
            Assert.All(c.Tokens, t => Assert.InRange(t, 0, 31));
        });

        var toContext = await GenerateAsync(host, request with { Prompts = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]], MaxNewTokens = 100 });
        Assert.Equal(2, toContext.Completions[0].Tokens.Length);
    }

    [Fact]
    public async Task Generate_stops_at_eos()
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "writer"), vocab: 32, context: 64, eos: 5));
        await host.WaitForModelAsync("writer");
        var answer = await GenerateAsync(host, new GenerateRequest([[1], [2], [3], [4]], MaxNewTokens: 60, Temperature: 3f, Seed: 7));
        Assert.Contains(answer.Completions, c => c.FinishReason == "eos");
        Assert.All(answer.Completions, c =>
        {
            var eosAt = Array.IndexOf(c.Tokens, 5);
            Assert.Equal(c.FinishReason == "eos" ? c.Tokens.Length - 1 : -1, eosAt);
        });
    }

    [Fact]
    public async Task A_failing_ort_run_is_503_and_the_model_keeps_serving()
    {
        // The position table has 2 rows but config.json claims 16: the load-time test run passes, a 3-token row fails inside ORT.
        using var host = TeacherHost.Start(models =>
        {
            var folder = Path.Combine(models, "fragile");
            TinyOnnxModel.WriteFolder(folder, context: 16);
            File.WriteAllBytes(Path.Combine(folder, "model.onnx"), Google.Protobuf.MessageExtensions.ToByteArray(TinyOnnxModel.Build(32, 2, 8, seed: 1)));
        });
        await host.WaitForModelAsync("fragile");
        using var failing = await host.Client.PostAsJsonAsync("/v1/models/fragile/topk", new TopKRequest([[1, 2, 3]], 1, 1f));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failing.StatusCode);
        Assert.Equal("application/problem+json", failing.Content.Headers.ContentType?.MediaType);
        var fine = await TopKCalls.JsonAsync(host.Client, "fragile", new TopKRequest([[1, 2]], 1, 1f));
        Assert.Single(fine.Sequences);
    }

    /// <summary>The value of one series of the Prometheus text exposition; fails when the series is absent.</summary>
    private static double Sample(string exposition, string series)
    {
        var line = exposition.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no series {series}");
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<GenerateResponse> GenerateAsync(TeacherHost host, GenerateRequest request)
    {
        using var response = await host.Client.PostAsJsonAsync("/v1/models/writer/generate", request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<GenerateResponse>())!;
    }
}
