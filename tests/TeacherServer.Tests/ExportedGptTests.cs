using System.Net.Http.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>Real (tiny, random) GPTs from the project's exporter: maths, padding and the Optimum input set.</summary>
public sealed class ExportedGptTests(ExportedModels exported) : IClassFixture<ExportedModels>
{
    private static readonly int[][] Sequences =
    [
        [5, 17, 42, 8, 99, 3, 250, 12, 7, 61, 33],
        [200],
        [1, 2, 3, 4],
        [120, 77, 5, 5, 5, 9, 180, 44, 2, 18, 31, 64, 90, 11, 4, 3, 2, 1, 0, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
        [9, 8],
    ];

    private TeacherHost Serve() => TeacherHost.Start(models =>
    {
        ExportedModels.CopyFolder(exported.Plain, Path.Combine(models, "gpt"));
        ExportedModels.CopyFolder(exported.Optimum, Path.Combine(models, "gpt-optimum"));
    });

    [Theory]
    [InlineData("gpt", 1.0f, 5)]
    [InlineData("gpt", 0.8f, 1)]
    [InlineData("gpt-optimum", 1.0f, 5)]
    [InlineData("gpt-optimum", 1.7f, 20)]
    public async Task Topk_equals_full_logit_computation(string model, float temperature, int k)
    {
        using var host = Serve();
        await host.WaitForModelAsync(model);
        var answer = await TopKCalls.JsonAsync(host.Client, model, new TopKRequest(Sequences, k, temperature));
        using var reference = new ReferenceTopK(Path.Combine(host.ModelsFolder, model, "model.onnx"));
        for (var s = 0; s < Sequences.Length; s++)
        {
            for (var t = 0; t < Sequences[s].Length; t++)
            {
                TopKCorrectnessTests.AssertMatchesReference(reference, Sequences[s], temperature, k,
                    answer.Sequences[s].Ids[t], answer.Sequences[s].Logprobs[t], answer.Sequences[s].NextTokenLogprob, t, tolerance: 2e-4);
            }
        }
    }

    [Fact]
    public async Task Batched_and_padded_equals_one_by_one()
    {
        using var host = Serve();
        await host.WaitForModelAsync("gpt");
        var together = await TopKCalls.BinaryAsync(host.Client, "gpt", new TopKRequest(Sequences, 8, 1f));
        var concurrent = await Task.WhenAll(Sequences.Select(s => TopKCalls.BinaryAsync(host.Client, "gpt", new TopKRequest([s], 8, 1f))));
        var alone = new List<TopKResult>();
        foreach (var sequence in Sequences)
        {
            alone.Add(await TopKCalls.BinaryAsync(host.Client, "gpt", new TopKRequest([sequence], 8, 1f)));
        }
        for (var s = 0; s < Sequences.Length; s++)
        {
            foreach (var other in new[] { alone[s].Sequences[0], concurrent[s].Sequences[0] })
            {
                var batched = together.Sequences[s];
                Assert.Equal(other.Length, batched.Length);
                for (var i = 0; i < other.Logprobs.Length; i++)
                {
                    Assert.Equal(other.Logprobs[i], batched.Logprobs[i], 1e-4);
                }
                for (var t = 0; t < other.Length - 1; t++)
                {
                    Assert.Equal(other.NextTokenLogprobs[t], batched.NextTokenLogprobs[t], 1e-4);
                }
                for (var t = 0; t < other.Length; t++)
                {
                    AssertSameTopK(other, batched, t, 1e-4);
                }
            }
        }
    }

    /// <summary>
    /// Every id of one answer's top-k at position t is in the other's with the same log-prob; near-ties (within the
    /// tolerance) may swap places, or trade the last place for an id whose log-prob equals it.
    /// </summary>
    private static void AssertSameTopK(SequenceTopK expected, SequenceTopK actual, int t, double tolerance)
    {
        var actualIds = actual.IdsAt(t).ToArray();
        var actualLogprobs = actual.LogprobsAt(t).ToArray();
        var expectedLogprobs = expected.LogprobsAt(t).ToArray();
        var rank = 0;
        foreach (var id in expected.IdsAt(t))
        {
            var found = Array.IndexOf(actualIds, id);
            var tied = found < 0 ? actualLogprobs[^1] : actualLogprobs[found];
            Assert.True(Math.Abs(expectedLogprobs[rank] - tied) <= tolerance,
                $"position {t}: id {id} (rank {rank}, log-prob {expectedLogprobs[rank]}) is {(found < 0 ? "missing" : $"at rank {found} with {tied}")}");
            rank++;
        }
    }

    [Fact]
    public async Task Generation_with_the_kv_cache_equals_generation_by_full_reruns()
    {
        using var host = Serve();
        await host.WaitForModelAsync("gpt");
        await host.WaitForModelAsync("gpt-optimum");
        var request = new GenerateRequest([[5, 17, 42], [200, 3, 9, 9, 1, 250]], MaxNewTokens: 70, Temperature: 1f, TopP: 0.9f, Seed: 3, StopAtEos: false);
        var cachedPositions = TeacherMetrics.PrefixCacheHitPositions.WithLabels("gpt-optimum");
        var cachedBefore = cachedPositions.Value;

        var rerun = await GenerateAsync(host, "gpt", request);
        var cached = await GenerateAsync(host, "gpt-optimum", request);

        // every step after the prompt's ran only the new token: the prompt and the tokens before came from the prefix cache
        var steps = new[] { (Prompt: 3, New: 61), (Prompt: 6, New: 58) };
        Assert.Equal(steps.Sum(s => Enumerable.Range(1, s.New - 1).Sum(i => s.Prompt + i - 1)), cachedPositions.Value - cachedBefore);
        Assert.Equal(rerun.Completions.Select(c => c.Tokens), cached.Completions.Select(c => c.Tokens));
        Assert.Equal(64 - 3, cached.Completions[0].Tokens.Length); // both stopped by the context length
        Assert.Equal(64 - 6, cached.Completions[1].Tokens.Length);
        Assert.All(cached.Completions, c => Assert.Equal("length", c.FinishReason));
    }

    private static async Task<GenerateResponse> GenerateAsync(TeacherHost host, string model, GenerateRequest request)
    {
        using var response = await host.Client.PostAsJsonAsync($"/v1/models/{model}/generate", request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<GenerateResponse>())!;
    }

    [Fact]
    public async Task Optimum_style_export_answers_like_the_plain_one()
    {
        using var host = Serve();
        await host.WaitForModelAsync("gpt");
        await host.WaitForModelAsync("gpt-optimum");
        var plain = await TopKCalls.BinaryAsync(host.Client, "gpt", new TopKRequest(Sequences, 4, 1f));
        var optimum = await TopKCalls.BinaryAsync(host.Client, "gpt-optimum", new TopKRequest(Sequences, 4, 1f));
        for (var s = 0; s < Sequences.Length; s++)
        {
            for (var i = 0; i < plain.Sequences[s].Logprobs.Length; i++)
            {
                Assert.Equal(plain.Sequences[s].Logprobs[i], optimum.Sequences[s].Logprobs[i], 1e-4);
            }
        }
        var info = await host.FindModelAsync("gpt");
        Assert.Equal(exported.VocabSize, info!.VocabSize);
        Assert.Equal(64, info.ContextLength);
        Assert.Equal("byte-level-bpe", info.TokenizerKind);
        Assert.NotNull(info.TokenizerFingerprint);
        Assert.Equal(info.TokenizerFingerprint, (await host.FindModelAsync("gpt-optimum"))!.TokenizerFingerprint);
    }
}
