using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Training;

/// <summary>Token-level cross-entropy and perplexity of a model over every token of a stream.</summary>
public static class PerplexityEvaluator
{
    /// <returns>The mean negative log-likelihood per token (nats) and its exponential.</returns>
    public static (double MeanLoss, double Perplexity) Evaluate(CausalLm model, TokenStream stream, int batch, Device device)
    {
        bool wasTraining = model.training;
        model.eval();
        double totalLoss = 0;
        long totalTokens = 0;
        using (no_grad())
        {
            foreach ((Tensor inputs, Tensor targets) in stream.SequentialBatches(batch, model.Config.ContextLength))
            {
                using var scope = NewDisposeScope();
                Tensor logits = model.Forward(inputs.to(device));                                    // (B, T, V)
                Tensor loss = nn.functional.cross_entropy(
                    logits.flatten(0, 1), targets.to(device).flatten(), reduction: nn.Reduction.Sum);
                totalLoss += loss.item<float>();
                totalTokens += targets.numel();
                inputs.Dispose();
                targets.Dispose();
            }
        }
        model.train(wasTraining);
        double mean = totalLoss / totalTokens;
        return (mean, Math.Exp(mean));
    }
}
