using System.Net;
using System.Text.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>vLLM's teacher protocol as TRL uses it: /health, /v1/models, /v1/completions with prompt_logprobs; the numbers are /topk's.</summary>
public sealed class CompatibleCompletionsTests : IDisposable
{
    private static readonly int[][] Prompts = CompatibleCalls.Prompts;

    private readonly TeacherHost host = CompatibleCalls.StartTeacher();

    public void Dispose() => host.Dispose();

    [Fact]
    public async Task Trl_sequence_gets_the_numbers_of_topk()
    {
        await host.WaitForModelAsync("teacher");
        using (var health = await host.Client.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        var models = JsonDocument.Parse(await host.Client.GetStringAsync("/v1/models")).RootElement;
        Assert.Equal("list", models.GetProperty("object").GetString());
        var card = models.GetProperty("data")[0];
        Assert.Equal("model", card.GetProperty("object").GetString());
        Assert.Equal(16, card.GetProperty("max_model_len").GetInt32());
        Assert.True(card.GetProperty("created").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(card.GetProperty("owned_by").GetString()));
        var id = card.GetProperty("id").GetString()!;
        Assert.Equal("teacher", id);

        const int k = 3;
        var answer = await CompatibleCalls.OkAsync(host.Client, "/v1/completions",
            $$"""{"model": "{{id}}", "prompt": {{JsonSerializer.Serialize(Prompts)}}, "max_tokens": 1, "temperature": 1.0, "prompt_logprobs": {{k}}}""");

        Assert.Equal("text_completion", answer.GetProperty("object").GetString());
        Assert.Equal("teacher", answer.GetProperty("model").GetString());
        Assert.StartsWith("cmpl-", answer.GetProperty("id").GetString());
        var choices = answer.GetProperty("choices");
        Assert.Equal(Prompts.Length, choices.GetArrayLength());
        var topk = await TopKCalls.JsonAsync(host.Client, "teacher", new TopKRequest(Prompts, k, 1f));
        for (var i = 0; i < Prompts.Length; i++)
        {
            var choice = choices[i];
            Assert.Equal(i, choice.GetProperty("index").GetInt32());
            Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
            AssertPromptLogprobs(Prompts[i], choice.GetProperty("prompt_logprobs"), topk.Sequences[i], k);
        }
        var usage = answer.GetProperty("usage");
        Assert.Equal(Prompts.Sum(p => p.Length), usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(2, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(Prompts.Sum(p => p.Length) + 2, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task One_flat_prompt_gets_one_choice_with_the_numbers_of_topk()
    {
        const int k = 5;
        var (answer, topk) = await CompleteOneAsync(Prompts[0], k, "1.0");
        var choices = answer.GetProperty("choices");
        Assert.Equal(1, choices.GetArrayLength());
        AssertPromptLogprobs(Prompts[0], choices[0].GetProperty("prompt_logprobs"), topk.Sequences[0], k);
    }

    /// <summary>TRL's async request for one flat prompt (max_tokens 1), and /topk's answer at τ = 1 for it.</summary>
    private async Task<(JsonElement Answer, TopKResponse TopK)> CompleteOneAsync(int[] prompt, int k, string temperature)
    {
        await host.WaitForModelAsync("teacher");
        var answer = await CompatibleCalls.OkAsync(host.Client, "/v1/completions",
            $$"""{"model": "teacher", "prompt": {{JsonSerializer.Serialize(prompt)}}, "max_tokens": 1, "temperature": {{temperature}}, "prompt_logprobs": {{k}}}""");
        return (answer, await TopKCalls.JsonAsync(host.Client, "teacher", new TopKRequest([prompt], k, 1f)));
    }

    /// <summary>Null first; then k entries (the actual token among them) or k + 1; ranks 1 … k are /topk's ids and log-probs; the actual token has /topk's next-token log-prob.</summary>
    internal static void AssertPromptLogprobs(int[] prompt, JsonElement promptLogprobs, TopKSequenceJson topk, int k)
    {
        Assert.Equal(prompt.Length, promptLogprobs.GetArrayLength());
        Assert.Equal(JsonValueKind.Null, promptLogprobs[0].ValueKind);
        for (var p = 1; p < prompt.Length; p++)
        {
            var position = promptLogprobs[p];
            var entries = CompatibleCalls.ByRank(position);
            var inTopK = topk.Ids[p - 1].Contains(prompt[p]);
            Assert.Equal(inTopK ? k : k + 1, entries.Length);
            Assert.Equal(topk.Ids[p - 1], entries.Take(k).Select(e => e.Id).ToArray());
            Assert.Equal(topk.Logprobs[p - 1], entries.Take(k).Select(e => e.Logprob).ToArray());
            Assert.Equal(Enumerable.Range(1, k), entries.Take(k).Select(e => e.Rank));
            var actual = CompatibleCalls.Actual(position, prompt[p]);
            Assert.Equal(topk.NextTokenLogprob[p - 1]!.Value, actual.Logprob);
            Assert.True(inTopK ? actual.Rank <= k : actual.Rank > k, $"position {p}: rank {actual.Rank} with k = {k}");
        }
    }

    [Fact]
    public async Task The_actual_token_outside_the_top_k_has_its_true_rank_over_the_full_vocabulary()
    {
        await host.WaitForModelAsync("teacher");
        const int k = 1;
        var prompt = Prompts[0];
        var answer = await CompatibleCalls.OkAsync(host.Client, "/v1/completions",
            $$"""{"model": "teacher", "prompt": {{JsonSerializer.Serialize(prompt)}}, "max_tokens": 0, "prompt_logprobs": {{k}}}""");
        var promptLogprobs = answer.GetProperty("choices")[0].GetProperty("prompt_logprobs");

        using var reference = new ReferenceTopK(Path.Combine(host.ModelsFolder, "teacher", "model.onnx"));
        var full = reference.LogProbs(prompt, 1.0);
        var outside = 0;
        for (var p = 1; p < prompt.Length; p++)
        {
            var expected = 1 + full[p - 1].Count(v => v > full[p - 1][prompt[p]]);
            var (logprob, rank) = CompatibleCalls.Actual(promptLogprobs[p], prompt[p]);
            Assert.Equal(full[p - 1][prompt[p]], logprob, 1e-5);
            Assert.Equal(expected, rank);
            outside += rank > k ? 1 : 0;
        }
        Assert.True(outside >= 3, $"only {outside} positions have their token outside the top {k}");
    }

    [Fact]
    public async Task Max_tokens_zero_generates_nothing_and_two_generates_two()
    {
        await host.WaitForModelAsync("teacher");
        var none = await CompatibleCalls.OkAsync(host.Client, "/v1/completions",
            """{"model": "teacher", "prompt": [[1, 2, 3]], "max_tokens": 0, "prompt_logprobs": 2, "return_token_ids": true}""");
        var choice = none.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("token_ids").GetArrayLength());
        Assert.Equal(new[] { 1, 2, 3 }, choice.GetProperty("prompt_token_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(0, none.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        // The tiny model's eos is 31; a greedy continuation of this prompt does not reach it within two tokens.
        var two = await CompatibleCalls.OkAsync(host.Client, "/v1/completions",
            """{"model": "teacher", "prompt": [1, 2, 3], "max_tokens": 2, "temperature": 0, "return_token_ids": true}""");
        var generated = two.GetProperty("choices")[0].GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(2, generated.Length);
        Assert.Equal(JsonValueKind.Null, two.GetProperty("choices")[0].GetProperty("prompt_logprobs").ValueKind);
        var greedy = await host.Client.PostAsync("/v1/models/teacher/generate", System.Net.Http.Json.JsonContent.Create(
            new GenerateRequest([[1, 2, 3]], MaxNewTokens: 2, Temperature: 1e-4f, Seed: 1)));
        var expected = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<GenerateResponse>(greedy.Content))!.Completions[0].Tokens;
        Assert.Equal(expected, generated);
    }

    [Fact]
    public async Task Prompt_logprobs_are_at_temperature_one_whatever_temperature_says()
    {
        const int k = 2;
        var (answer, topk) = await CompleteOneAsync(Prompts[1], k, "0.5");
        AssertPromptLogprobs(Prompts[1], answer.GetProperty("choices")[0].GetProperty("prompt_logprobs"), topk.Sequences[0], k);
    }
}
