namespace Distill.StudentTrainer.Training;

/// <summary>What a finished pretraining run measured.</summary>
public sealed record PretrainResult(
    long Parameters,
    long TrainTokensSeen,
    double Seconds,
    double TokensPerSecond,
    double FinalTrainLoss,
    double ValidationPerplexity,
    double TestPerplexity);
