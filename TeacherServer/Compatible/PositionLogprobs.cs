using System.Text.Json;

namespace Distill.TeacherServer.Compatible;

/// <summary>One entry of a prompt position's log-probs: a token, its log-prob and its rank (1 = most probable).</summary>
public readonly record struct RankedToken(int Id, float Logprob, int Rank);

/// <summary>
/// The log-probs a compatible answer gives for prompt position p ≥ 1 (the distribution after tokens 0 … p − 1): ranks
/// 1 … k, then the actual token p with its true rank over the full vocabulary when it is not among them.
/// </summary>
public static class PositionLogprobs
{
    /// <summary>vLLM answers −∞ log-probs as this (its completion and prompt log-probs are clamped there); JSON has no −∞.</summary>
    public const float Floor = -9999f;

    /// <returns>How many entries were written to <paramref name="entries"/>: the top k first, in rank order, then the actual token when it is not among them.</returns>
    public static int Count(ScoredPrompt scored, int position, int k, Span<RankedToken> entries)
    {
        var row = scored.Scores!;
        var at = position - 1 - scored.RowStart;
        var ids = row.TopK.IdsAt(at);
        var logprobs = row.TopK.LogprobsAt(at);
        var actual = scored.Prompt[position];
        var count = 0;
        var actualListed = false;
        for (var r = 0; r < k; r++)
        {
            entries[count++] = new RankedToken(ids[r], logprobs[r], r + 1);
            actualListed |= ids[r] == actual;
        }
        if (!actualListed)
        {
            entries[count++] = new RankedToken(actual, row.TopK.NextTokenLogprobs[at], row.NextTokenRanks![at]);
        }
        return count;
    }

    /// <summary>The actual token of position p ≥ 1 alone, for SGLang's input_token_logprobs.</summary>
    public static float Actual(ScoredPrompt scored, int position) =>
        scored.Scores!.TopK.NextTokenLogprobs[position - 1 - scored.RowStart];

    public static void WriteLogprob(Utf8JsonWriter json, float value)
    {
        if (float.IsNaN(value))
        {
            json.WriteRawValue("NaN", skipInputValidation: true);
        }
        else
        {
            json.WriteNumberValue(float.IsNegativeInfinity(value) ? Floor : value);
        }
    }
}
