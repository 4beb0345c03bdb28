using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// The sparse distillation divergences of docs/losses.md between the teacher's top-k signal and the student.
/// The student distribution is log q = log_softmax(studentLogits / τ) over the full vocabulary (the teacher's
/// log-probs already come at τ). Both are reduced to k+1 outcomes, the k teacher ids and a tail bucket:
/// P = (p_K, 1 − Σ p_K) and Q = (q_K, mass of q outside K); with k = V every divergence is its dense definition.
/// Everything is computed in log space and in the logits' dtype (the teacher's tail and AKL's head in float64).
/// Where the teacher gives an outcome probability 0, KL(Q‖P) (in rkl, srkl and akl) uses log P ≥ ln(1.18e-38) ≈ −87.34,
/// the smallest normal float32, instead of an infinite loss.
/// </summary>
public static class Divergences
{
    /// <param name="studentLogits">(B, T, V) raw student logits, float32 or float64; finite, or −∞ only where the teacher's probability is 0 too.</param>
    /// <param name="teacherIds">(B, T, k) int64, 1 ≤ k ≤ V, distinct ids in [0, V), sorted by teacher probability, descending.</param>
    /// <param name="teacherLogProbs">(B, T, k) the teacher's log-probs of those ids, log_softmax over the full vocabulary at τ.</param>
    /// <param name="mask">(B, T) bool; true marks a position that counts.</param>
    /// <returns>Scalar in the logits' dtype: the mean over the unmasked positions; 0 (still differentiable) when none is.</returns>
    public static Tensor Compute(DivergenceKind kind, Tensor studentLogits, Tensor teacherIds,
                                 Tensor teacherLogProbs, Tensor mask, DivergenceOptions options)
    {
        DivergenceInputs.Check(studentLogits, teacherIds, teacherLogProbs, options);
        DivergenceInputs.CheckMask(mask, studentLogits);
        using var scope = NewDisposeScope();
        Tensor values = PerPositionChecked(kind, studentLogits, teacherIds, teacherLogProbs, options);  // (B, T)
        Tensor sum = values.masked_fill(mask.logical_not(), Scalars.Of(0.0)).sum();
        Tensor count = mask.sum().to_type(values.dtype).clamp_min(Scalars.Of(1.0));
        return (sum / count).MoveToOuterDisposeScope();
    }

    /// <summary>The divergence at every position, without masking. Inputs as for <see cref="Compute"/>.</summary>
    /// <returns>(B, T) in the logits' dtype.</returns>
    public static Tensor PerPosition(DivergenceKind kind, Tensor studentLogits, Tensor teacherIds,
                                     Tensor teacherLogProbs, DivergenceOptions options)
    {
        DivergenceInputs.Check(studentLogits, teacherIds, teacherLogProbs, options);
        using var scope = NewDisposeScope();
        return PerPositionChecked(kind, studentLogits, teacherIds, teacherLogProbs, options).MoveToOuterDisposeScope();
    }

    private static Tensor PerPositionChecked(DivergenceKind kind, Tensor studentLogits, Tensor teacherIds,
                                             Tensor teacherLogProbs, DivergenceOptions options)
    {
        var outcomes = TopKOutcomes.Build(studentLogits, teacherIds, teacherLogProbs, options.Temperature);
        Tensor logP = outcomes.LogP, logQ = outcomes.LogQ;                                   // (B, T, n)
        return kind switch
        {
            DivergenceKind.Fkl => LogSpace.Kl(logP, logQ),
            DivergenceKind.Rkl => ReverseKl(logP, logQ),
            DivergenceKind.Js => JensenShannon(logP, logQ, options.Beta),
            DivergenceKind.Tvd => (logP.exp() - logQ.exp()).abs().sum(-1).mul(Scalars.Of(0.5)),
            DivergenceKind.Skl => LogSpace.Kl(logP, LogSpace.Mixture(logP, logQ, options.Alpha)),
            DivergenceKind.Srkl => LogSpace.Kl(logQ, LogSpace.Mixture(logQ, FloorForReverseKl(logP), options.Alpha)),
            DivergenceKind.Akl => AdaptiveKl.PerPosition(outcomes, teacherLogProbs, options.Mu,
                                                         LogSpace.Kl(logP, logQ), ReverseKl(logP, logQ)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a divergence kind"),
        };
    }

    private static Tensor ReverseKl(Tensor logP, Tensor logQ) => LogSpace.Kl(logQ, FloorForReverseKl(logP));

    /// <summary>Keeps KL(Q‖P) finite where P = 0 &lt; Q (also srkl at α = 0, which is rkl).</summary>
    private static Tensor FloorForReverseKl(Tensor logP) => logP.clamp_min(Scalars.Of(LogSpace.ReverseKlLogFloor));

    private static Tensor JensenShannon(Tensor logP, Tensor logQ, double beta)
    {
        Tensor logM = LogSpace.Mixture(logP, logQ, beta);                                    // β ∈ (0, 1): M > 0 wherever P or Q is
        Tensor towardsP = LogSpace.Kl(logP, logM).mul(Scalars.Of(beta));
        Tensor towardsQ = LogSpace.Kl(logQ, logM).mul(Scalars.Of(1 - beta));
        return towardsP.add(towardsQ, Scalars.One);
    }
}
