using Distill.StudentTrainer.Evaluation;

namespace Distill.StudentTrainer.Distillation;

/// <summary>What a finished (or interrupted) distillation run did and measured.</summary>
/// <param name="Losses">Training loss of each logged step, in order.</param>
/// <param name="Evaluations">Evaluations by step (step 0 = before training), when an evaluator was given.</param>
/// <param name="Seconds">Training time (all sessions of the run), without evaluations and checkpoints.</param>
/// <param name="AsideSeconds">Time this session spent evaluating and writing checkpoints.</param>
/// <param name="TokensPerSecond">Training tokens per second of training time, this session.</param>
/// <param name="TeacherWaitShare">Share of this session's training time spent waiting for teacher answers.</param>
/// <param name="Interrupted">Stopped early (SIGINT); a checkpoint of the last completed step was written.</param>
public sealed record DistillResult(
    int StepsDone,
    long TokensSeen,
    double Seconds,
    double AsideSeconds,
    double TokensPerSecond,
    double TeacherWaitShare,
    int TeacherVersionChanges,
    IReadOnlyList<(int Step, double Loss)> Losses,
    IReadOnlyList<(int Step, StudentEvaluation Evaluation)> Evaluations,
    string? CheckpointFolder,
    bool Interrupted);
