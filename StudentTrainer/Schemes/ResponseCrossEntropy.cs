using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>The student's cross-entropy on the response tokens of prompt → response pairs (DistiLLM's validation loss).</summary>
public static class ResponseCrossEntropy
{
    /// <summary>
    /// The mean next-token cross-entropy (nats) over every response token of <paramref name="pairs"/>, in batches of
    /// <paramref name="batchSize"/>, without gradients and in eval mode (the model's training flag is restored).
    /// </summary>
    public static double Mean(CausalLm model, IReadOnlyList<TokenizedPair> pairs, int batchSize, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) throw new ArgumentException("the validation loss needs at least one pair");
        if (batchSize < 1) throw new ArgumentException($"batch size must be ≥ 1, got {batchSize}");
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            Tensor sums = zeros(2, ScalarType.Float64, device);                                     // loss sum, token count
            for (int first = 0; first < pairs.Count; first += batchSize)
            {
                using var batchScope = NewDisposeScope();
                using PromptResponseBatch batch = PromptResponseBatch.Build(pairs.Skip(first).Take(batchSize).ToArray(), device);
                Tensor logits = model.Forward(batch.Inputs);                                         // (B, T, V)
                Tensor weights = batch.Mask.to_type(ScalarType.Float64);                             // (B, T)
                Tensor tokenLosses = nn.functional.cross_entropy(
                    logits.flatten(0, 1), batch.Targets.flatten(), reduction: nn.Reduction.None).to_type(ScalarType.Float64);
                sums.add_(stack([tokenLosses.mul(weights.flatten()).sum(), weights.sum()]), Scalars.One);
            }
            double[] totals = sums.cpu().data<double>().ToArray();
            return totals[0] / Math.Max(totals[1], 1);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
