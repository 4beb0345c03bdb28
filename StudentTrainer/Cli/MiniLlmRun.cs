using Distill.StudentTrainer.Schemes;

namespace Distill.StudentTrainer.Cli;

/// <summary>A MiniLLM run of a train job: what it was asked to do and what it did.</summary>
public sealed record MiniLlmRun(MiniLlmTrainerOptions Options, MiniLlmResult Result)
{
    /// <summary>"12 rollouts of 4 prompts, 4 PPO epochs each, teacher mix α = 0.2, k = 8, LM loss × 1 on 4 × 24 corpus tokens per update".</summary>
    public static string Describe(MiniLlmTrainerOptions options)
    {
        MiniLlmOptions scheme = options.MiniLlm;
        string lm = scheme.LmCoefficient > 0
            ? $"LM loss × {scheme.LmCoefficient} on {options.LmBatchSize} × {options.LmSequenceLength} corpus tokens per update"
            : "no LM loss";
        return $"{options.Steps} rollouts of {options.BatchSize} prompts, {options.PpoEpochs} PPO epochs each, "
               + $"teacher mix α = {scheme.TeacherMixAlpha}, k = {options.TopK}, {lm}";
    }

    /// <summary>"minillm: 128 response tokens sampled, 3,072 corpus tokens of LM loss, 96 teacher requests".</summary>
    public string DescribeResult() =>
        $"minillm: {Result.ResponseTokens:N0} response tokens sampled, {Result.LmTokens:N0} corpus tokens of LM loss, "
        + $"{Result.TeacherRequests:N0} teacher requests";
}
