using Distill.StudentTrainer.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Training;

/// <summary>One optimiser step of next-token cross-entropy: forward, loss, backward, global-norm clip, update.</summary>
public static class CrossEntropyStep
{
    /// <param name="inputs">(B, T) int64 on the model's device.</param>
    /// <param name="targets">(B, T) int64 next tokens.</param>
    /// <returns>The scalar loss (owned by the caller's dispose scope).</returns>
    public static Tensor Run(CausalLm model, optim.Optimizer optimizer, IEnumerable<Parameter> parameters, Tensor inputs, Tensor targets, double gradientClip)
    {
        Tensor logits = model.Forward(inputs);                                                   // (B, T, V)
        Tensor loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten());
        optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(parameters, gradientClip);
        optimizer.step();
        return loss;
    }
}
