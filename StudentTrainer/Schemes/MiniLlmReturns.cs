using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// MiniLLM's long-horizon advantages from per-token rewards over responses of different lengths (a mask per row).
/// Rewards where the mask is false count as 0, and a return's discount counts positions, so a response is expected to
/// be contiguous (prompt and padding masked out around it).
/// </summary>
public static class MiniLlmReturns
{
    /// <summary>
    /// The discounted return at every position t. With <paramref name="includeCurrentReward"/> false (the paper's
    /// R_{t+1}): G_t = Σ_{t' &gt; t} γ^(t'−t−1)·r_t', the rewards strictly after t. With it true (LMOps's code):
    /// G_t = Σ_{t' ≥ t} γ^(t'−t)·r_t'. Length-normalised means divided by N_t, the number of masked-in positions the
    /// sum runs over (t' &gt; t, or t' ≥ t): the paper's 1/(T − t − 1) for 0-based t in a response of T tokens when
    /// strictly later. A position with nothing to sum (the last token, strictly later) gets 0.
    /// </summary>
    /// <param name="rewards">(B, T) per-token rewards (<see cref="MiniLlmRewards.Rewards"/>), constants.</param>
    /// <param name="mask">(B, T) bool, true on response tokens.</param>
    /// <returns>(B, T) in the rewards' dtype, without gradient; 0 where the mask is false.</returns>
    public static Tensor Returns(Tensor rewards, Tensor mask, double gamma, bool lengthNormalise, bool includeCurrentReward)
    {
        SchemeInputs.FloatingPoint(rewards, nameof(rewards));
        SchemeInputs.TwoDimensional(rewards, nameof(rewards));
        SchemeInputs.Mask(mask, rewards, nameof(rewards));
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be in [0, 1]");
        if (rewards.shape[1] < 1) throw new ArgumentException("the rewards need at least one position", nameof(rewards));

        using var scope = NewDisposeScope();
        Tensor kept = where(mask, rewards.detach(), zeros_like(rewards));                          // (B, T)
        long length = kept.shape[1];
        var fromT = new Tensor[length];                     // Σ_{t' ≥ t} γ^(t'−t) r_t', built backwards
        Tensor running = zeros_like(kept.select(1, 0));                                             // (B)
        for (long t = length - 1; t >= 0; t--)
            running = fromT[t] = running.mul(Scalars.Of(gamma)).add(kept.select(1, t), Scalars.One);
        Tensor inclusive = stack(fromT, 1);                                                         // (B, T)
        Tensor countFromT = mask.to_type(kept.dtype).flip(1).cumsum(1).flip(1);                     // (B, T)

        Tensor sums = inclusive, counts = countFromT;
        if (!includeCurrentReward)
        {
            sums = cat([inclusive.narrow(1, 1, length - 1), zeros_like(inclusive.narrow(1, 0, 1))], 1);
            counts = countFromT.sub(mask.to_type(kept.dtype));
        }
        Tensor returns = lengthNormalise ? sums.div(counts.clamp_min(Scalars.Of(1.0))) : sums;
        return where(mask, returns, zeros_like(returns)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// (A − mean)/√(var + 1e-8) with the mean and the population variance over the masked-in positions; 0 elsewhere.
    /// LMOps whitens the returns this way before the PPO loss, over the whole batch.
    /// </summary>
    /// <param name="advantages">(B, T) returns, constants.</param>
    /// <param name="mask">(B, T) bool.</param>
    /// <returns>(B, T), without gradient.</returns>
    public static Tensor Whiten(Tensor advantages, Tensor mask)
    {
        SchemeInputs.FloatingPoint(advantages, nameof(advantages));
        SchemeInputs.Mask(mask, advantages, nameof(advantages));
        using var scope = NewDisposeScope();
        Tensor values = advantages.detach();
        Tensor mean = MaskedMean.Of(values, mask);
        Tensor centred = values.sub(mean);
        Tensor variance = MaskedMean.Of(centred.mul(centred), mask);
        Tensor whitened = centred.mul(variance.add(Scalars.Of(1e-8), Scalars.One).rsqrt());
        return where(mask, whitened, zeros_like(whitened)).MoveToOuterDisposeScope();
    }
}
