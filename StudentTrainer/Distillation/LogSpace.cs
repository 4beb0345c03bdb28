using Distill.StudentTrainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// Distribution arithmetic on log-probabilities, safe where a probability is 0 (log −∞): such entries give
/// finite values and finite gradients, because the branch that is thrown away is fed harmless inputs.
/// </summary>
internal static class LogSpace
{
    /// <summary>
    /// log P of the smallest positive normal float32 (≈ −87.34). A float32 teacher cannot tell a probability below it
    /// from 0, and KL(Q‖P) is infinite where P = 0 &lt; Q; the reverse direction therefore raises log P to this floor.
    /// </summary>
    public static readonly double ReverseKlLogFloor = Math.Log(1.17549435e-38);

    /// <summary>KL(A‖B) = Σ A (log A − log B) over the last dimension; terms with A = 0 are 0. (…, n) → (…).</summary>
    public static Tensor Kl(Tensor logA, Tensor logB)
    {
        Tensor absent = logA.eq(Scalars.Of(double.NegativeInfinity));
        Tensor safeA = logA.masked_fill(absent, Scalars.Of(0.0));
        Tensor safeB = logB.masked_fill(absent, Scalars.Of(0.0));
        return (safeA.exp() * (safeA - safeB)).masked_fill(absent, Scalars.Of(0.0)).sum(-1);
    }

    /// <summary>log(w·A + (1−w)·B) elementwise; 0 (−∞) only where both are 0.</summary>
    public static Tensor Mixture(Tensor logA, Tensor logB, double weightOfA)
    {
        if (weightOfA == 0) return logB;
        if (weightOfA == 1) return logA;
        Scalar minusInfinity = Scalars.Of(double.NegativeInfinity), zero = Scalars.Of(0.0);
        Tensor a = logA.add(Scalars.Of(Math.Log(weightOfA)), Scalars.One);
        Tensor b = logB.add(Scalars.Of(Math.Log(1 - weightOfA)), Scalars.One);
        Tensor bothAbsent = a.eq(minusInfinity).logical_and(b.eq(minusInfinity));
        return a.masked_fill(bothAbsent, zero).logaddexp(b.masked_fill(bothAbsent, zero)).masked_fill(bothAbsent, minusInfinity);
    }

    /// <summary>
    /// log Σ exp(x) over the last dimension, keeping it: (…, n) → (…, 1). Same value as logsumexp, but backward keeps
    /// exp(x − max) rather than x and runs faster on CPU. Needs a finite entry in every row.
    /// </summary>
    public static Tensor LogSumExp(Tensor x)
    {
        Tensor max = x.detach().amax([-1], keepdim: true);
        return (x - max).exp().sum(-1, keepdim: true).log().add(max, Scalars.One);
    }

    /// <summary>log(1 − exp(x)) for x ≤ 0, accurate at both ends (−∞ at x = 0, 0 at x = −∞). No gradient use.</summary>
    public static Tensor Log1MinusExp(Tensor x)
    {
        Tensor nearZero = x.gt(Scalars.Of(-Math.Log(2)));
        return where(nearZero, x.expm1().neg().log(), x.exp().neg().log1p());
    }
}
