using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>PPO's clipped policy-gradient loss, as MiniLLM optimises the student.</summary>
public static class PpoLoss
{
    /// <summary>
    /// Per token: ratio = exp(log q_new − log q_old), ℓ = −min(ratio·A, clip(ratio, 1 − ε, 1 + ε)·A), times the importance
    /// weight w; the result is the mean of w·ℓ over the masked-in tokens. Only <paramref name="newTokenLogProbs"/> carries
    /// a gradient; the other inputs are treated as constants. The weight multiplies the clipped term, the clip acts on the
    /// ratio alone (LMOps's code instead clips ratio·w).
    /// </summary>
    /// <param name="newTokenLogProbs">(B, T) log q_θ(y_t) of the student being trained.</param>
    /// <param name="oldTokenLogProbs">(B, T) log q(y_t) of the student that sampled.</param>
    /// <param name="advantages">(B, T) A_t, e.g. <see cref="MiniLlmReturns.Returns"/>.</param>
    /// <param name="importanceWeights">(B, T) w_t = q(y_t)/p̃(y_t) (<see cref="TeacherMixedSampling.ImportanceWeights"/>); ones for pure student samples.</param>
    /// <param name="mask">(B, T) bool, true on response tokens.</param>
    /// <param name="clip">ε &gt; 0 (<see cref="MiniLlmOptions.PpoClip"/>).</param>
    /// <returns>Scalar in the new log-probs' dtype; 0 (still on the graph) when the mask keeps nothing.</returns>
    public static Tensor ClippedPolicyGradient(Tensor newTokenLogProbs, Tensor oldTokenLogProbs, Tensor advantages,
                                               Tensor importanceWeights, Tensor mask, double clip)
    {
        SchemeInputs.FloatingPoint(newTokenLogProbs, nameof(newTokenLogProbs));
        SchemeInputs.TwoDimensional(newTokenLogProbs, nameof(newTokenLogProbs));
        foreach ((Tensor tensor, string name) in new[]
                 {
                     (oldTokenLogProbs, nameof(oldTokenLogProbs)), (advantages, nameof(advantages)),
                     (importanceWeights, nameof(importanceWeights)),
                 })
        {
            SchemeInputs.FloatingPoint(tensor, name);
            SchemeInputs.SameShape(tensor, newTokenLogProbs, name, nameof(newTokenLogProbs));
        }
        SchemeInputs.Mask(mask, newTokenLogProbs, nameof(newTokenLogProbs));
        if (!(clip > 0) || double.IsInfinity(clip)) throw new ArgumentOutOfRangeException(nameof(clip), clip, "the PPO clip must be a finite number > 0");

        using var scope = NewDisposeScope();
        ScalarType dtype = newTokenLogProbs.dtype;
        Tensor old = oldTokenLogProbs.detach().to_type(dtype);
        Tensor advantage = advantages.detach().to_type(dtype);
        Tensor weight = importanceWeights.detach().to_type(dtype);
        // Masked-out positions get ratio 1, so that no padding value can overflow exp and reach the gradient as NaN.
        Tensor logRatio = where(mask, newTokenLogProbs.sub(old), zeros_like(old));
        Tensor ratio = logRatio.exp();
        Tensor unclipped = ratio.mul(advantage).neg();
        Tensor clipped = ratio.clamp(Scalars.Of(1 - clip), Scalars.Of(1 + clip)).mul(advantage).neg();
        Tensor perToken = maximum(unclipped, clipped).mul(weight);
        return MaskedMean.Of(perToken, mask).MoveToOuterDisposeScope();
    }
}
