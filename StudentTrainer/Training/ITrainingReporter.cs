namespace Distill.StudentTrainer.Training;

/// <summary>Receives progress from a training loop (a console progress bar, a log, or nothing in tests).</summary>
public interface ITrainingReporter
{
    /// <param name="loss">Training loss of this step, read back only on logging steps; otherwise null.</param>
    void Step(int step, int totalSteps, double? loss, double learningRate, double tokensPerSecond);

    void Evaluated(int step, string split, double meanLoss, double perplexity);

    void Message(string text);
}
