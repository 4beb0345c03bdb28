using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// AKL: KL(P‖Q) and KL(Q‖P) weighted by the student's error on the teacher's head and on its tail,
/// g_h / (g_h + g_t) and g_t / (g_h + g_t), with g = Σ |P − Q| over each part and no gradient through the weights.
/// </summary>
internal static class AdaptiveKl
{
    /// <param name="teacherLogProbs">(B, T, k), sorted by teacher probability, descending.</param>
    /// <returns>(B, T).</returns>
    public static Tensor PerPosition(TopKOutcomes outcomes, Tensor teacherLogProbs, double mu, Tensor forwardKl, Tensor reverseKl)
    {
        Tensor head = HeadMask(teacherLogProbs, mu, outcomes.HasTailBucket);                             // (B, T, n)
        Tensor error = (outcomes.LogP.exp() - outcomes.LogQ.detach().exp()).abs();                        // (B, T, n)
        Tensor headError = error.masked_fill(head.logical_not(), Scalars.Of(0.0)).sum(-1);               // (B, T)
        Tensor tailError = error.masked_fill(head, Scalars.Of(0.0)).sum(-1);                             // (B, T)
        Tensor total = headError.add(tailError, Scalars.One);
        Tensor safeTotal = total.masked_fill(total.eq(Scalars.Of(0.0)), Scalars.Of(1.0));
        return (headError / safeTotal * forwardKl).add(tailError / safeTotal * reverseKl, Scalars.One);
    }

    /// <summary>
    /// Id i (in descending teacher order) is in the head iff it is the top-1 or the teacher's inclusive cumulative
    /// probability up to i is ≤ μ; the tail bucket is never in the head. μ = 1 takes every id, also where the
    /// teacher's mass rounds above 1. (B, T, k) → (B, T, n) bool.
    /// </summary>
    public static Tensor HeadMask(Tensor teacherLogProbs, double mu, bool withTailBucket)
    {
        Tensor head;                                                                                      // (B, T, k)
        if (mu >= 1) head = ones_like(teacherLogProbs, ScalarType.Bool);
        else
        {
            Tensor cumulative = teacherLogProbs.detach().to_type(ScalarType.Float64).exp().cumsum(-1);
            Tensor isTop1 = arange(Scalars.Of(0L), Scalars.Of(teacherLogProbs.shape[2]), Scalars.One,
                                   device: teacherLogProbs.device).eq(Scalars.Of(0L));                  // (k)
            head = cumulative.le(Scalars.Of(mu)).logical_or(isTop1);
        }
        if (!withTailBucket) return head;
        Tensor tailBucket = zeros([head.shape[0], head.shape[1], 1], ScalarType.Bool, head.device);
        return cat([head, tailBucket], -1);
    }
}
