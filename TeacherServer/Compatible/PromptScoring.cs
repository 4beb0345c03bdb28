using Distill.Shared.Wire;
using Distill.TeacherServer.Api;
using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Generation;
using Distill.TeacherServer.Models;

namespace Distill.TeacherServer.Compatible;

/// <summary>
/// Runs an admitted compatible request through the model's batcher, as /topk and /generate do: one row per prompt at
/// τ = 1 answering the top-k and the next token's log-prob and true rank from the position before the first asked
/// one; the first generated token is sampled from that row's last logits, later ones by <see cref="Sampling"/>.
/// </summary>
public static class PromptScoring
{
    public static async Task<ScoredPrompt[]> RunAsync(CompatibleRequest request, ModelLease lease, CancellationToken cancellation)
    {
        var model = lease.Model;
        var ids = request.Ids;
        var seed = request.Seed ?? Random.Shared.Next();
        if (!request.WantsPromptLogprobs)
        {
            return await Task.WhenAll(ids.Select(async (prompt, i) =>
            {
                var completion = await GenerateAsync(model, request, prompt, [], unchecked(seed + i), cancellation);
                return new ScoredPrompt(prompt, null, 0, completion.Tokens, completion.FinishReason);
            }));
        }
        var k = Math.Max(1, request.TopLogprobs!.Value);
        var generates = request.MaxNewTokens > 0;
        var rows = lease.SubmitLast(ids.Select(prompt => new RowWork(prompt, k, 1f, generates, cancellation,
            CompatibleValidation.RowStart(request, prompt.Length), WantNextTokenRanks: true)).ToArray());
        var results = await Task.WhenAll(rows);
        return await Task.WhenAll(ids.Select(async (prompt, i) =>
        {
            var completion = new Completion([], "length");
            if (generates)
            {
                var random = new Random(unchecked(seed + i));
                var first = TokenSampler.Sample(results[i].LastLogits!, SamplingTemperature(request), request.TopP, random);
                completion = await GenerateAsync(model, request, prompt, [first], unchecked(seed + i), cancellation);
            }
            return new ScoredPrompt(prompt, results[i], CompatibleValidation.RowStart(request, prompt.Length), completion.Tokens, completion.FinishReason);
        }));
    }

    /// <summary>Temperature 0 asks for greedy decoding: sampling at the smallest temperature allowed is that.</summary>
    private static float SamplingTemperature(CompatibleRequest request) => Math.Max(request.Temperature, RequestValidation.MinTemperature);

    /// <summary>The generated tokens after <paramref name="sampled"/> (those already drawn), up to max_new_tokens, the context or the eos.</summary>
    private static async Task<Completion> GenerateAsync(LoadedModel model, CompatibleRequest request, int[] prompt, int[] sampled, int seed,
        CancellationToken cancellation)
    {
        var remaining = request.MaxNewTokens - sampled.Length;
        var ended = sampled.Length > 0 && sampled[^1] == model.EosId;
        if (remaining <= 0 || ended || prompt.Length + sampled.Length >= model.ContextLength)
        {
            return new Completion(sampled, ended ? "eos" : "length");
        }
        var more = await Sampling.CompleteAsync(model, [.. prompt, .. sampled],
            new GenerateRequest([], remaining, SamplingTemperature(request), request.TopP, seed), unchecked(seed + 1), cancellation);
        return more with { Tokens = [.. sampled, .. more.Tokens] };
    }
}

/// <summary>One prompt's answer.</summary>
/// <param name="Scores">The scoring row's result (top-k, next-token log-probs and ranks from <paramref name="RowStart"/> on); null when no log-probs were asked.</param>
/// <param name="FinishReason">"eos" or "length", as <see cref="Completion"/> says it.</param>
public sealed record ScoredPrompt(int[] Prompt, RowResult? Scores, int RowStart, int[] Generated, string FinishReason);
