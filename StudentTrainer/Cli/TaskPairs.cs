using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Cli;

/// <summary>The tokenized pairs of a task folder (<see cref="TaskSetFiles"/>) that a pair run trains and watches on.</summary>
/// <param name="Validation">The validation file's pairs, or null when the folder has none.</param>
public sealed record TaskPairs(string Folder, IReadOnlyList<TokenizedPair> Train, IReadOnlyList<TokenizedPair>? Validation)
{
    /// <summary>The most tokens of prompt + response of any pair.</summary>
    public int LongestSequence => Train.Concat(Validation ?? []).Max(p => p.Prompt.Length + p.Response.Length);

    /// <summary>
    /// Reads and tokenizes train.jsonl (or .parquet) and, when present or <paramref name="validationNeeded"/>, validation.jsonl (or .parquet); each pair is
    /// fitted to <paramref name="contextLength"/> tokens (<see cref="PromptResponseTokens.Fit"/>). No end-of-text id is
    /// appended: the bundled responses are continuations cut mid-text, not answers that end.
    /// </summary>
    /// <exception cref="FileNotFoundException">train.jsonl is missing, or validation.jsonl when it is needed.</exception>
    public static TaskPairs Load(string folder, LoadedTokenizer tokenizer, int contextLength, bool validationNeeded)
    {
        CliOptions.RequireFolder(folder, "--tasks");
        IReadOnlyList<TokenizedPair> train = Tokenize(TaskSetFiles.Require(folder, TaskSetFiles.Train), tokenizer, contextLength);
        bool hasValidation = TaskSetFiles.Find(folder, TaskSetFiles.Validation) is not null;
        IReadOnlyList<TokenizedPair>? validation = hasValidation || validationNeeded
            ? Tokenize(TaskSetFiles.Require(folder, TaskSetFiles.Validation), tokenizer, contextLength)
            : null;
        return new TaskPairs(folder, train, validation);
    }

    private static TokenizedPair[] Tokenize(string path, LoadedTokenizer tokenizer, int contextLength)
    {
        IReadOnlyList<PromptResponsePair> pairs = PromptResponseFile.Read(path);
        if (pairs.Count == 0) throw new InvalidDataException($"{path} holds no pairs");
        return pairs.Select((pair, i) =>
        {
            try
            {
                return PromptResponseTokens.Tokenize(tokenizer, pair, contextLength);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{path}, pair {i + 1}: {e.Message}", e);
            }
        }).ToArray();
    }
}
