using System.Text.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>The compatible endpoints run through /topk's batcher and prefix cache: a prompt extending one run before reuses its keys and values.</summary>
public sealed class CompatiblePrefixCacheTests(ExportedModels exported) : IClassFixture<ExportedModels>
{
    [Fact]
    public async Task Sglang_from_logprob_start_len_reuses_the_cached_prefix_and_answers_topks_numbers()
    {
        const string model = "compat-cache";
        using var host = TeacherHost.Start(models => ExportedModels.CopyFolder(exported.Optimum, Path.Combine(models, model)));
        await host.WaitForModelAsync(model);
        var random = new Random(5);
        var prefix = Enumerable.Range(0, 20).Select(_ => random.Next(1, 250)).ToArray();
        int[] longer = [.. prefix, 7, 9, 11];
        var hitPositions = TeacherMetrics.PrefixCacheHitPositions.WithLabels(model);

        await CompatibleCalls.OkAsync(host.Client, "/generate", $$"""
            {"input_ids": {{JsonSerializer.Serialize(prefix)}}, "sampling_params": {"max_new_tokens": 0}, "return_logprob": true,
             "logprob_start_len": {{prefix.Length - 1}}}
            """); // answered from a start, as /topk with a start, so the run keeps the prefix's keys and values
        var before = hitPositions.Value;
        const int k = 4;
        var answer = await CompatibleCalls.OkAsync(host.Client, "/generate", $$"""
            {"input_ids": {{JsonSerializer.Serialize(longer)}}, "sampling_params": {"max_new_tokens": 0}, "return_logprob": true,
             "logprob_start_len": {{prefix.Length + 1}}, "top_logprobs_num": {{k}}}
            """);
        Assert.Equal(prefix.Length, hitPositions.Value - before);

        var full = await TopKCalls.JsonAsync(host.Client, model, new TopKRequest([longer], k, 1f));
        var meta = answer.GetProperty("meta_info");
        var tokens = meta.GetProperty("input_token_logprobs");
        var tops = meta.GetProperty("input_top_logprobs");
        Assert.Equal(longer.Length - prefix.Length - 1, tokens.GetArrayLength());
        for (var p = prefix.Length + 1; p < longer.Length; p++)
        {
            var at = p - prefix.Length - 1;
            Assert.Equal(full.Sequences[0].NextTokenLogprob[p - 1]!.Value, tokens[at][0].GetSingle(), 1e-5f);
            Assert.Equal(full.Sequences[0].Ids[p - 1], tops[at].EnumerateArray().Select(e => e[1].GetInt32()).ToArray());
            var logprobs = tops[at].EnumerateArray().Select(e => e[0].GetSingle()).ToArray();
            for (var r = 0; r < k; r++)
            {
                Assert.Equal(full.Sequences[0].Logprobs[p - 1][r], logprobs[r], 1e-5f);
            }
        }
    }
}
