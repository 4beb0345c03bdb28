using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>The log-probability each distribution gives its token.</summary>
public static class TokenLogProbs
{
    /// <param name="logProbs">(…, V) log-probs; the gradient flows through the gathered entries.</param>
    /// <param name="tokens">(…) int64 ids in [0, V).</param>
    /// <returns>(…) log-probs of the tokens.</returns>
    public static Tensor Gather(Tensor logProbs, Tensor tokens)
    {
        SchemeInputs.FloatingPoint(logProbs, nameof(logProbs));
        SchemeInputs.Tokens(tokens, logProbs, nameof(tokens));
        using var scope = NewDisposeScope();
        return logProbs.gather(-1, tokens.unsqueeze(-1)).squeeze(-1).MoveToOuterDisposeScope();
    }
}
