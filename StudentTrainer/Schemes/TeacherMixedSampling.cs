using Distill.StudentTrainer.Distillation;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// MiniLLM's teacher-mixed sampling: response tokens are drawn from p̃ = α·p + (1 − α)·q rather than from the
/// student q alone, and each token's policy-gradient term is weighted by q(y)/p̃(y) to stay an estimate under q.
/// The full-vocabulary p comes from <see cref="TeacherFullDistribution"/>.
/// </summary>
public static class TeacherMixedSampling
{
    /// <param name="teacherLogProbs">(…, V) log p over the full vocabulary.</param>
    /// <param name="studentLogProbs">(…, V) log q.</param>
    /// <param name="alpha">The teacher's weight α ∈ [0, 1].</param>
    /// <returns>(…, V) log p̃, computed in log space, without gradient.</returns>
    public static Tensor MixtureLogProbs(Tensor teacherLogProbs, Tensor studentLogProbs, double alpha)
    {
        SchemeInputs.FloatingPoint(teacherLogProbs, nameof(teacherLogProbs));
        SchemeInputs.FloatingPoint(studentLogProbs, nameof(studentLogProbs));
        SchemeInputs.SameShape(studentLogProbs, teacherLogProbs, nameof(studentLogProbs), nameof(teacherLogProbs));
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "the teacher's weight must be in [0, 1]");
        using var scope = NewDisposeScope();
        Tensor logP = teacherLogProbs.detach().to_type(studentLogProbs.dtype);
        return LogSpace.Mixture(logP, studentLogProbs.detach(), alpha).MoveToOuterDisposeScope();
    }

    /// <summary>One token per row, drawn from exp(<paramref name="mixtureLogProbs"/>) with <paramref name="generator"/>.</summary>
    /// <param name="mixtureLogProbs">(…, V) log p̃, each row normalised.</param>
    /// <returns>(…) int64 token ids.</returns>
    public static Tensor Sample(Tensor mixtureLogProbs, Generator generator)
    {
        SchemeInputs.FloatingPoint(mixtureLogProbs, nameof(mixtureLogProbs));
        ArgumentNullException.ThrowIfNull(generator);
        if (mixtureLogProbs.dim() < 1) throw new ArgumentException("the mixture needs a vocabulary dimension", nameof(mixtureLogProbs));
        using var scope = NewDisposeScope();
        long vocab = mixtureLogProbs.shape[^1];
        Tensor rows = mixtureLogProbs.detach().exp().reshape(-1, vocab);                       // (N, V)
        Tensor tokens = multinomial(rows, 1, generator: generator);                            // (N, 1)
        return tokens.reshape(mixtureLogProbs.shape[..^1]).MoveToOuterDisposeScope();
    }

    /// <summary>The importance weights q(y)/p̃(y) of sampled tokens, as constants.</summary>
    /// <param name="studentLogProbs">(…, V) log q of the policy that sampled (the student at sampling time).</param>
    /// <param name="mixtureLogProbs">(…, V) log p̃ the tokens were drawn from.</param>
    /// <param name="tokens">(…) int64 sampled ids.</param>
    /// <returns>(…) weights in the student's dtype, without gradient.</returns>
    public static Tensor ImportanceWeights(Tensor studentLogProbs, Tensor mixtureLogProbs, Tensor tokens)
    {
        SchemeInputs.FloatingPoint(studentLogProbs, nameof(studentLogProbs));
        SchemeInputs.FloatingPoint(mixtureLogProbs, nameof(mixtureLogProbs));
        SchemeInputs.SameShape(mixtureLogProbs, studentLogProbs, nameof(mixtureLogProbs), nameof(studentLogProbs));
        using var scope = NewDisposeScope();
        Tensor logQ = TokenLogProbs.Gather(studentLogProbs.detach(), tokens);
        Tensor logMixture = TokenLogProbs.Gather(mixtureLogProbs.detach().to_type(studentLogProbs.dtype), tokens);
        return logQ.sub(logMixture).exp().MoveToOuterDisposeScope();
    }
}
