namespace Distill.StudentTrainer.Training;

/// <summary>Receives progress from a training loop (a console progress bar, a log, or nothing in tests).</summary>
public interface ITrainingReporter
{
    void Step(StepReport report);

    void Evaluated(int step, string split, double meanLoss, double perplexity);

    void Message(string text);
}

/// <param name="Loss">Training loss of this step, read back only on logging steps; otherwise null.</param>
/// <param name="TeacherWaitShare">Share of the training time spent waiting for the teacher so far; null without a teacher.</param>
public sealed record StepReport(int Step, int TotalSteps, double? Loss, double LearningRate, double TokensPerSecond, double? TeacherWaitShare = null);
