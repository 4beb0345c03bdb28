using Distill.Shared.Tokenization;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>How the evaluators turn continuations into the text ROUGE-L scores, and ask the teacher for greedy ones.</summary>
public static class ContinuationText
{
    /// <summary>Teacher sampling temperature that makes its generation greedy in effect (the server's smallest τ).</summary>
    public const float GreedyTeacherTemperature = 1e-4f;

    /// <summary>Text of the ids up to (not including) the first end-of-text id of <paramref name="tokenizer"/>.</summary>
    public static string Decode(LoadedTokenizer tokenizer, IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(ids);
        int end = ids.Count;
        if (tokenizer.EosId is int eos)
        {
            for (int i = 0; i < ids.Count; i++)
            {
                if (ids[i] != eos) continue;
                end = i;
                break;
            }
        }
        return tokenizer.Decode(ids.Take(end));
    }
}
