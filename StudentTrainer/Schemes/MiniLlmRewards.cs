using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// MiniLLM's per-token signal for a sampled response y: the reward r_t = log p(y_t | y_&lt;t) − log q(y_t | y_&lt;t)
/// (teacher minus student; its expectation under q is −KL(q_t ‖ p_t)), and the single-step term, that KL itself
/// computed over the vocabulary, which carries the current step exactly, without sampling variance.
/// Where the teacher gives a probability 0, log p is raised to ln(1.18e-38) ≈ −87.34, as the reverse divergences do.
/// </summary>
public static class MiniLlmRewards
{
    /// <summary>r_t = (log p(y_t) − log q(y_t)) / scaling, then clipped to ±clip, as constants.</summary>
    /// <param name="teacherTokenLogProbs">
    /// (B, T) log p(y_t): the teacher server's log-prob of the actual next token (<see cref="MiniLlmRollout.TeacherTokenLogProbs"/>).
    /// Gathered from <see cref="TeacherFullDistribution"/> instead, a token outside K would get log P_tail − log Q_out + log q(y_t),
    /// so every tail token the same reward, the tail bucket's log ratio.
    /// </param>
    /// <param name="studentTokenLogProbs">(B, T) log q(y_t) of the student that sampled.</param>
    /// <param name="mask">(B, T) bool, true on response tokens.</param>
    /// <param name="scaling">Divides the rewards when set (<see cref="MiniLlmOptions.RewardScaling"/>).</param>
    /// <param name="clip">Clips the rewards to ±clip when set (<see cref="MiniLlmOptions.RewardClip"/>).</param>
    /// <returns>(B, T) in the student's dtype, without gradient; 0 where the mask is false.</returns>
    public static Tensor Rewards(Tensor teacherTokenLogProbs, Tensor studentTokenLogProbs, Tensor mask, double? scaling, double? clip)
    {
        SchemeInputs.FloatingPoint(teacherTokenLogProbs, nameof(teacherTokenLogProbs));
        SchemeInputs.FloatingPoint(studentTokenLogProbs, nameof(studentTokenLogProbs));
        SchemeInputs.TwoDimensional(studentTokenLogProbs, nameof(studentTokenLogProbs));
        SchemeInputs.SameShape(teacherTokenLogProbs, studentTokenLogProbs, nameof(teacherTokenLogProbs), nameof(studentTokenLogProbs));
        SchemeInputs.Mask(mask, studentTokenLogProbs, nameof(studentTokenLogProbs));
        if (scaling is { } s && (!(s > 0) || double.IsInfinity(s)))
            throw new ArgumentOutOfRangeException(nameof(scaling), s, "the reward scaling must be a finite number > 0");
        if (clip is { } c && !(c > 0)) throw new ArgumentOutOfRangeException(nameof(clip), c, "the reward clip must be > 0");

        using var scope = NewDisposeScope();
        Tensor logQ = studentTokenLogProbs.detach();
        Tensor logP = FloorForReverseKl(teacherTokenLogProbs.detach().to_type(logQ.dtype));
        Tensor rewards = logP.sub(logQ);
        if (scaling is { } divisor) rewards = rewards.div(Scalars.Of(divisor));
        if (clip is { } bound) rewards = rewards.clamp(Scalars.Of(-bound), Scalars.Of(bound));
        return where(mask, rewards, zeros_like(rewards)).MoveToOuterDisposeScope();
    }

    /// <summary>The single-step term: KL(q_t ‖ p_t) over the vocabulary, the mean over the masked-in positions.</summary>
    /// <param name="studentLogProbs">(B, T, V) log q with gradient.</param>
    /// <param name="teacherLogProbs">(B, T, V) log p over the full vocabulary (<see cref="TeacherFullDistribution"/>), a constant.</param>
    /// <param name="mask">(B, T) bool, true on response tokens.</param>
    /// <returns>Scalar in the student's dtype; the gradient flows through q only.</returns>
    public static Tensor SingleStepRegularisation(Tensor studentLogProbs, Tensor teacherLogProbs, Tensor mask)
    {
        SchemeInputs.FloatingPoint(studentLogProbs, nameof(studentLogProbs));
        SchemeInputs.FloatingPoint(teacherLogProbs, nameof(teacherLogProbs));
        SchemeInputs.SameShape(teacherLogProbs, studentLogProbs, nameof(teacherLogProbs), nameof(studentLogProbs));
        if (studentLogProbs.dim() != 3) throw new ArgumentException("student log-probs must be (B, T, V)", nameof(studentLogProbs));
        SchemeInputs.Mask(mask, studentLogProbs.select(-1, 0), "the student log-probs' (B, T)");

        using var scope = NewDisposeScope();
        Tensor logP = FloorForReverseKl(teacherLogProbs.detach().to_type(studentLogProbs.dtype));
        Tensor perPosition = LogSpace.Kl(studentLogProbs, logP);                                    // (B, T)
        return MaskedMean.Of(perPosition, mask).MoveToOuterDisposeScope();
    }

    private static Tensor FloorForReverseKl(Tensor logP) => logP.clamp_min(Scalars.Of(LogSpace.ReverseKlLogFloor));
}
