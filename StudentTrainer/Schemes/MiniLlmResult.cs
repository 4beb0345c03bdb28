using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;

namespace Distill.StudentTrainer.Schemes;

/// <summary>What a finished (or interrupted) MiniLLM run did and measured.</summary>
/// <param name="StepsDone">Rollout steps completed (all sessions).</param>
/// <param name="ResponseTokens">Response tokens sampled and trained on (all sessions): the run's training tokens.</param>
/// <param name="LmTokens">Corpus tokens of the language-modelling loss (all sessions).</param>
/// <param name="Seconds">Training time (all sessions), rollouts included, without evaluations and checkpoints.</param>
/// <param name="AsideSeconds">Time this session spent evaluating and writing checkpoints.</param>
/// <param name="TokensPerSecond">Response tokens per second of training time, this session.</param>
/// <param name="TeacherWaitShare">Share of the training time (all sessions) spent blocked on teacher answers.</param>
/// <param name="TeacherRequests">Top-k requests made (all sessions): one per sampled column, and one per rollout that sampled outside the top-k.</param>
/// <param name="Losses">The objective of each logged step (mean over its PPO epochs), in order.</param>
/// <param name="Evaluations">Evaluations by step (step 0 = before training), when an evaluator was given.</param>
/// <param name="FinalEvaluation">The evaluation after the last step; null without an evaluator or when interrupted.</param>
/// <param name="Interrupted">Stopped early (SIGINT); a checkpoint of the last completed step was written.</param>
public sealed record MiniLlmResult(
    int StepsDone,
    long ResponseTokens,
    long LmTokens,
    double Seconds,
    double AsideSeconds,
    double TokensPerSecond,
    double TeacherWaitShare,
    long TeacherRequests,
    int TeacherVersionChanges,
    IReadOnlyList<(int Step, double Loss)> Losses,
    IReadOnlyList<(int Step, StudentEvaluation Evaluation)> Evaluations,
    StudentEvaluation? FinalEvaluation,
    string? CheckpointFolder,
    bool Interrupted)
{
    /// <summary>The figures every trainer reports, as <see cref="DistillResult"/> holds them; the response tokens are the training tokens.</summary>
    public DistillResult AsDistillResult() => new(StepsDone, ResponseTokens, Seconds, AsideSeconds, TokensPerSecond, TeacherWaitShare,
        TeacherVersionChanges, Losses, Evaluations, CheckpointFolder, Interrupted);
}
