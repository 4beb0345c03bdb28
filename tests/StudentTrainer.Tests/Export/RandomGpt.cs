using Distill.StudentTrainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>
/// Models of any family with seeded random weights far from the GPT-2 initialisation (sharp attention, non-trivial norms and
/// biases), so a wrong mask, transpose or slice changes the logits by much more than the parity tolerance.
/// </summary>
public static class RandomGpt
{
    public static CausalLm Create(ModelConfig config, int seed)
    {
        torch.manual_seed(seed);
        var model = config.CreateModel();
        using (no_grad())
        {
            foreach ((string name, var parameter) in model.named_parameters())
            {
                if (parameter.dim() == 2) parameter.normal_(0.0, 0.3);
                else if (name.EndsWith(".bias", StringComparison.Ordinal)) parameter.normal_(0.0, 0.1);
                else parameter.normal_(1.0, 0.1); // LayerNorm weights
            }
        }
        model.eval();
        return model;
    }

    /// <param name="exactGelu">The project's own exact GELU, or GPT-2's tanh approximation (<c>gelu_new</c>).</param>
    public static Gpt2Config Config(int vocab, int context, int embedding, int layers, int heads, bool exactGelu) =>
        Gpt2Config.Project(vocab, context, embedding, layers, heads, dropout: 0.0) with { ActivationFunction = exactGelu ? "gelu" : "gelu_new" };
}
