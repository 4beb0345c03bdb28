using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.StudentTrainer.Model;

/// <summary>The position-wise feed-forward layer: C → 4C → GELU (exact, erf) → C.</summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    private readonly Linear c_fc;
    private readonly Linear c_proj;
    private readonly Dropout dropout;

    public Mlp(GptConfig config) : base(nameof(Mlp))
    {
        c_fc = Linear(config.EmbeddingSize, 4 * config.EmbeddingSize, hasBias: config.Bias);
        c_proj = Linear(4 * config.EmbeddingSize, config.EmbeddingSize, hasBias: config.Bias);
        dropout = Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <param name="x">(B, T, C)</param>
    public override Tensor forward(Tensor x) =>
        dropout.forward(c_proj.forward(functional.gelu(c_fc.forward(x))));
}
