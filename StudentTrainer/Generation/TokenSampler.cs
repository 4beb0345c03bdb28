using Distill.StudentTrainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Generation;

/// <summary>Picks the next token from logits with temperature, top-k and top-p.</summary>
public static class TokenSampler
{
    /// <param name="logits">(B, V) logits of the last position.</param>
    /// <returns>(B, 1) int64 token ids.</returns>
    public static Tensor Sample(Tensor logits, GenerationOptions options, Generator generator)
    {
        using var scope = NewDisposeScope();
        if (options.Temperature == 0)
            return logits.argmax(-1, keepdim: true).MoveToOuterDisposeScope();

        Tensor scaled = logits.to_type(ScalarType.Float32).div(Scalars.Of(options.Temperature));  // (B, V)
        if (options.TopK > 0 && options.TopK < scaled.shape[1])
        {
            Tensor kth = scaled.topk(options.TopK, dim: -1).values[.., ^1..];                     // (B, 1)
            scaled = scaled.masked_fill(scaled.lt(kth), Scalars.Of(double.NegativeInfinity));
        }
        if (options.TopP < 1.0)
        {
            (Tensor sorted, Tensor order) = scaled.sort(-1, descending: true);                  // (B, V)
            Tensor cumulative = sorted.softmax(-1).cumsum(-1);
            // Drop a token when the tokens strictly before it already reach p; the top token always stays.
            Tensor drop = (cumulative - sorted.softmax(-1)).ge(Scalars.Of(options.TopP));
            Tensor dropInVocabOrder = zeros_like(drop).scatter(-1, order, drop);
            scaled = scaled.masked_fill(dropInVocabOrder, Scalars.Of(double.NegativeInfinity));
        }
        Tensor probabilities = scaled.softmax(-1);
        return multinomial(probabilities, 1, generator: generator).MoveToOuterDisposeScope();
    }
}
