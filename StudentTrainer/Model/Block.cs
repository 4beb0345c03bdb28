using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.StudentTrainer.Model;

/// <summary>A pre-LayerNorm transformer block: x + attn(ln(x)), then x + mlp(ln(x)).</summary>
public sealed class Block : Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly CausalSelfAttention attn;
    private readonly LayerNorm ln_2;
    private readonly Mlp mlp;

    public Block(GptConfig config) : base(nameof(Block))
    {
        ln_1 = LayerNorm(config.EmbeddingSize, eps: 1e-5, bias: config.Bias);
        attn = new CausalSelfAttention(config);
        ln_2 = LayerNorm(config.EmbeddingSize, eps: 1e-5, bias: config.Bias);
        mlp = new Mlp(config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, mask: null, cache: null, layer: 0);

    /// <param name="x">(B, T, C)</param>
    public Tensor Forward(Tensor x, Tensor? mask, KvCache? cache, int layer)
    {
        x = x.add(attn.Forward(ln_1.forward(x), mask, cache, layer), Scalars.One);
        return x.add(mlp.forward(ln_2.forward(x)), Scalars.One);
    }
}
