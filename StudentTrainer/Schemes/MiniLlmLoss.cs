using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>A rollout's advantages: fixed for all PPO epochs over it, since they use the sampling student only.</summary>
/// <param name="Rewards">(B, T) r_t = log p(y_t) − log q_old(y_t), scaled and clipped as the options say.</param>
/// <param name="Returns">(B, T) the discounted (length-normalised) returns.</param>
/// <param name="Advantages">(B, T) the returns, whitened when the options say so: what the PPO loss weighs.</param>
public sealed record MiniLlmAdvantages(Tensor Rewards, Tensor Returns, Tensor Advantages);

/// <summary>One PPO epoch's policy loss and what is logged of it; every tensor a scalar.</summary>
/// <param name="Loss">PolicyGradient + Regulariser (the latter when the options switch it on); carries the gradient.</param>
/// <param name="PolicyGradient">PPO's clipped loss weighted by the importance weights.</param>
/// <param name="Regulariser">The single-step KL(q_t ‖ p_t), computed even when it is not added.</param>
/// <param name="RatioMean">Mean q_new(y_t)/q_old(y_t) over the response tokens.</param>
/// <param name="ClipFraction">Share of response tokens whose ratio lies outside [1 − ε, 1 + ε].</param>
public sealed record MiniLlmLossParts(Tensor Loss, Tensor PolicyGradient, Tensor Regulariser, Tensor RatioMean, Tensor ClipFraction);

/// <summary>The policy-gradient part of MiniLLM's objective over one rollout (the language-modelling part is separate).</summary>
public static class MiniLlmLoss
{
    /// <summary>Rewards, returns and advantages of <paramref name="rollout"/>, as constants in the caller's dispose scope.</summary>
    public static MiniLlmAdvantages Advantages(MiniLlmRollout rollout, MiniLlmOptions options)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        ArgumentNullException.ThrowIfNull(options);
        using var scope = NewDisposeScope();
        Tensor rewards = MiniLlmRewards.Rewards(rollout.TeacherTokenLogProbs, rollout.OldLogProbs, rollout.Mask,
            options.RewardScaling, options.RewardClip);
        Tensor returns = MiniLlmReturns.Returns(rewards, rollout.Mask, options.Gamma, options.LengthNormalise, options.ReturnsIncludeCurrentReward);
        Tensor advantages = options.WhitenAdvantages ? MiniLlmReturns.Whiten(returns, rollout.Mask) : returns.alias();
        return new MiniLlmAdvantages(rewards.MoveToOuterDisposeScope(), returns.MoveToOuterDisposeScope(), advantages.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// PPO's clipped loss with importance weights, plus the single-step KL(q_t ‖ p_t) over the vocabulary, where p is rebuilt
    /// from the rollout's teacher top-k with the tail spread like the current student (<see cref="TeacherFullDistribution"/>).
    /// </summary>
    /// <param name="logits">(B, T, V) the student's logits at the response positions (<see cref="MiniLlmRollout.ResponseLogits"/>), with gradient.</param>
    /// <returns>The parts, in the caller's dispose scope.</returns>
    public static MiniLlmLossParts Compute(Tensor logits, MiniLlmRollout rollout, MiniLlmAdvantages advantages, MiniLlmOptions options)
    {
        SchemeInputs.FloatingPoint(logits, nameof(logits));
        ArgumentNullException.ThrowIfNull(rollout);
        ArgumentNullException.ThrowIfNull(advantages);
        ArgumentNullException.ThrowIfNull(options);
        if (logits.dim() != 3 || !logits.shape[..2].SequenceEqual(rollout.Tokens.shape))
            throw new ArgumentException(
                $"logits must be (B, T, V) over the rollout's ({string.Join(", ", rollout.Tokens.shape)}) tokens, got ({string.Join(", ", logits.shape)})",
                nameof(logits));

        using var scope = NewDisposeScope();
        Tensor mask = rollout.Mask;
        Tensor logQ = logits.log_softmax(-1);                                                                // (B, T, V)
        Tensor newTokenLogProbs = TokenLogProbs.Gather(logQ, rollout.Tokens);                               // (B, T)
        Tensor policyGradient = PpoLoss.ClippedPolicyGradient(newTokenLogProbs, rollout.OldLogProbs, advantages.Advantages,
            rollout.ImportanceWeights, mask, options.PpoClip);
        Tensor logP = TeacherFullDistribution.LogProbs(logits, rollout.TeacherIds, rollout.TeacherLogProbs);  // (B, T, V)
        Tensor regulariser = MiniLlmRewards.SingleStepRegularisation(logQ, logP, mask);
        Tensor loss = options.SingleStepRegularisation ? policyGradient.add(regulariser, Scalars.One) : policyGradient.alias();

        using var noGrad = no_grad();
        Tensor logRatio = newTokenLogProbs.detach().sub(rollout.OldLogProbs.to_type(newTokenLogProbs.dtype));
        Tensor ratio = where(mask, logRatio, zeros_like(logRatio)).exp();
        Tensor clipped = ratio.add(Scalars.Of(-1.0), Scalars.One).abs().gt(Scalars.Of(options.PpoClip)).to_type(ratio.dtype);
        return new MiniLlmLossParts(
            loss.MoveToOuterDisposeScope(),
            policyGradient.MoveToOuterDisposeScope(),
            regulariser.MoveToOuterDisposeScope(),
            MaskedMean.Of(ratio, mask).MoveToOuterDisposeScope(),
            MaskedMean.Of(clipped, mask).MoveToOuterDisposeScope());
    }
}
