using System.Text.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Tests.Support;
using static Distill.TeacherServer.Tests.Support.CompatibleCalls;

namespace Distill.TeacherServer.Tests;

/// <summary>SGLang's /generate as a teacher: input_token_logprobs and input_top_logprobs from logprob_start_len on, with /topk's numbers.</summary>
public sealed class SglangGenerateTests : IDisposable
{
    private readonly TeacherHost host = StartTeacher();

    public void Dispose() => host.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task A_batch_gets_the_numbers_of_topk_from_logprob_start_len_on(int start)
    {
        await host.WaitForModelAsync("teacher");
        const int k = 3;
        var answer = await CompatibleCalls.OkAsync(host.Client, "/generate", $$"""
            {"input_ids": {{JsonSerializer.Serialize(Prompts)}}, "sampling_params": {"max_new_tokens": 0, "temperature": 1.0},
             "return_logprob": true, "logprob_start_len": {{start}}, "top_logprobs_num": {{k}}}
            """);
        Assert.Equal(JsonValueKind.Array, answer.ValueKind);
        Assert.Equal(Prompts.Length, answer.GetArrayLength());
        var topk = await TopKCalls.JsonAsync(host.Client, "teacher", new TopKRequest(Prompts, k, 1f));
        for (var i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(0, answer[i].GetProperty("output_ids").GetArrayLength());
            AssertInputLogprobs(Prompts[i], answer[i].GetProperty("meta_info"), topk.Sequences[i], k, start);
        }
    }

    [Fact]
    public async Task One_flat_prompt_gets_one_object()
    {
        await host.WaitForModelAsync("teacher");
        const int k = 2;
        var answer = await CompatibleCalls.OkAsync(host.Client, "/generate", $$"""
            {"input_ids": {{JsonSerializer.Serialize(Prompts[0])}}, "sampling_params": {"max_new_tokens": 0},
             "return_logprob": true, "logprob_start_len": 0, "top_logprobs_num": {{k}}}
            """);
        Assert.Equal(JsonValueKind.Object, answer.ValueKind);
        var topk = await TopKCalls.JsonAsync(host.Client, "teacher", new TopKRequest([Prompts[0]], k, 1f));
        AssertInputLogprobs(Prompts[0], answer.GetProperty("meta_info"), topk.Sequences[0], k, 0);
        Assert.Equal(Prompts[0].Length, answer.GetProperty("meta_info").GetProperty("prompt_tokens").GetInt32());
    }

    /// <summary>slime's on-policy distillation payload (slime/rollout/on_policy_distillation.py): no model, no top_logprobs_num, temperature 0.</summary>
    [Fact]
    public async Task Slimes_payload_gets_the_next_token_logprobs_of_topk()
    {
        await host.WaitForModelAsync("teacher");
        var answer = await CompatibleCalls.OkAsync(host.Client, "/generate", $$"""
            {"input_ids": {{JsonSerializer.Serialize(Prompts[0])}}, "return_logprob": true, "logprob_start_len": 0,
             "sampling_params": {"temperature": 0, "max_new_tokens": 0, "skip_special_tokens": false}
            }
            """);
        var meta = answer.GetProperty("meta_info");
        var topk = await TopKCalls.JsonAsync(host.Client, "teacher", new TopKRequest([Prompts[0]], 1, 1f));
        var teacherLogprobs = meta.GetProperty("input_token_logprobs").EnumerateArray().Skip(1).Select(item => item[0].GetSingle());
        Assert.Equal(topk.Sequences[0].NextTokenLogprob.Take(Prompts[0].Length - 1).Select(v => v!.Value), teacherLogprobs);
        Assert.All(meta.GetProperty("input_top_logprobs").EnumerateArray().Skip(1), top => Assert.Equal(0, top.GetArrayLength()));
    }

    [Fact]
    public async Task A_few_new_tokens_are_generated_after_the_scored_prompt()
    {
        await host.WaitForModelAsync("teacher");
        var answer = await CompatibleCalls.OkAsync(host.Client, "/generate", """
            {"input_ids": [1, 2, 3], "sampling_params": {"max_new_tokens": 2, "temperature": 0},
             "return_logprob": true, "logprob_start_len": 0, "top_logprobs_num": 1}
            """);
        Assert.Equal(2, answer.GetProperty("output_ids").GetArrayLength());
        var meta = answer.GetProperty("meta_info");
        Assert.Equal(2, meta.GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", meta.GetProperty("finish_reason").GetProperty("type").GetString());
        Assert.Equal(3, meta.GetProperty("input_token_logprobs").GetArrayLength());
    }

    [Fact]
    public async Task Logprob_start_len_minus_one_answers_empty_prompt_logprobs_and_no_return_logprob_none()
    {
        await host.WaitForModelAsync("teacher");
        var empty = await CompatibleCalls.OkAsync(host.Client, "/generate",
            """{"input_ids": [1, 2, 3], "sampling_params": {"max_new_tokens": 0}, "return_logprob": true, "logprob_start_len": -1}""");
        Assert.Equal(0, empty.GetProperty("meta_info").GetProperty("input_token_logprobs").GetArrayLength());
        Assert.Equal(0, empty.GetProperty("meta_info").GetProperty("input_top_logprobs").GetArrayLength());
        var none = await CompatibleCalls.OkAsync(host.Client, "/generate", """{"input_ids": [1, 2, 3], "sampling_params": {"max_new_tokens": 0}}""");
        Assert.False(none.GetProperty("meta_info").TryGetProperty("input_token_logprobs", out _));
    }

    /// <summary>[logprob, id, null] per position from start on ([null, id, null] at position 0); the top list null at position 0, else /topk's k.</summary>
    private static void AssertInputLogprobs(int[] prompt, JsonElement meta, TopKSequenceJson topk, int k, int start)
    {
        var tokens = meta.GetProperty("input_token_logprobs");
        var tops = meta.GetProperty("input_top_logprobs");
        Assert.Equal(prompt.Length - start, tokens.GetArrayLength());
        Assert.Equal(prompt.Length - start, tops.GetArrayLength());
        for (var p = start; p < prompt.Length; p++)
        {
            var token = tokens[p - start];
            Assert.Equal(3, token.GetArrayLength());
            Assert.Equal(prompt[p], token[1].GetInt32());
            Assert.Equal(JsonValueKind.Null, token[2].ValueKind);
            if (p == 0)
            {
                Assert.Equal(JsonValueKind.Null, token[0].ValueKind);
                Assert.Equal(JsonValueKind.Null, tops[0].ValueKind);
                continue;
            }
            Assert.Equal(topk.NextTokenLogprob[p - 1]!.Value, token[0].GetSingle());
            var top = tops[p - start];
            Assert.Equal(k, top.GetArrayLength());
            Assert.Equal(topk.Ids[p - 1], top.EnumerateArray().Select(e => e[1].GetInt32()).ToArray());
            Assert.Equal(topk.Logprobs[p - 1], top.EnumerateArray().Select(e => e[0].GetSingle()).ToArray());
            Assert.All(top.EnumerateArray(), e => Assert.Equal(JsonValueKind.Null, e[2].ValueKind));
        }
    }
}
