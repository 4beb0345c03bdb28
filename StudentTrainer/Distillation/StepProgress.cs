using Distill.StudentTrainer.Training;

namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// How far a run has got, for the checkpoint written when it stops or fails: the steps whose update is applied, what
/// of the last one's bookkeeping (train record, report, evaluation) remains, and whether a step failed after its update
/// began (then the weights belong to no step boundary and no checkpoint may be written).
/// </summary>
/// <param name="updates">The optimiser's count of updates begun.</param>
public sealed class StepProgress(int startStep, Func<long> updates, StepTail? resumedTail = null)
{
    private readonly int _startStep = startStep;
    private long _updatesBefore = -1;

    /// <summary>Steps whose update is applied.</summary>
    public int Completed { get; private set; } = startStep;

    /// <summary>What of step <see cref="Completed"/>'s bookkeeping remains; null when none.</summary>
    public StepTail? Tail { get; private set; } = resumedTail is { IsDone: false } ? resumedTail : null;

    /// <summary>The step whose checkpoint this session wrote with nothing left to do; null before the first.</summary>
    public int? Checkpointed { get; private set; }

    /// <summary>A step is training and its update has begun: the model is between two step boundaries.</summary>
    public bool FailedMidStep => _updatesBefore >= 0 && updates() != _updatesBefore;

    /// <summary>Whether a failure now has something to report: a step trained this session, or one that failed after its update began.</summary>
    public bool Advanced => Completed > _startStep || FailedMidStep;

    public void Starting() => _updatesBefore = updates();

    /// <summary>Step <paramref name="done"/> (1-based) applied its update; <paramref name="tail"/> is what follows it.</summary>
    public void Trained(int done, StepTail tail)
    {
        (_updatesBefore, Completed) = (-1, done);
        Update(tail);
    }

    public void Update(StepTail tail) => Tail = tail.IsDone ? null : tail;

    /// <summary>Does what remains of step <see cref="Completed"/>'s bookkeeping in order, marking each part done as it completes.</summary>
    public void FinishTail(Action<int, IReadOnlyDictionary<string, double>> writeRecord, Action<StepReport> report, Action<int> evaluate)
    {
        if (Tail is { TrainRecord: { } record } withRecord)
        {
            writeRecord(Completed, record);
            Update(withRecord with { TrainRecord = null });
        }
        if (Tail is { Report: { } pending } withReport)
        {
            report(pending);
            Update(withReport with { Report = null });
        }
        if (Tail is { EvaluationDue: true } withEvaluation)
        {
            evaluate(Completed);
            Update(withEvaluation with { EvaluationDue = false });
        }
    }

    public void Saved(int step)
    {
        if (Completed == step && Tail is null) Checkpointed = step;
    }

    /// <summary>
    /// What a failure leaves: the checkpoint of the completed steps written by <paramref name="save"/> (with the tail
    /// still to do), or the reason none is; the line to report.
    /// </summary>
    public string AfterFailure(Exception failure, Func<int, StepTail?, string> save)
    {
        if (FailedMidStep)
            return $"step {Completed + 1} failed after its update began ({failure.Message}); no checkpoint of it can be written: resume from the last one";
        if (Checkpointed == Completed)
            return $"stopped after step {Completed} ({failure.Message}); its checkpoint is written";
        try
        {
            return $"stopped after step {Completed} ({failure.Message}); checkpoint {save(Completed, Tail)}";
        }
        catch (Exception saving)
        {
            return $"stopped after step {Completed} ({failure.Message}); writing its checkpoint failed too ({saving.Message}): resume from the last one";
        }
    }
}
