using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.StudentTrainer.Model;

/// <summary>Multi-head causal self-attention with a fused query/key/value projection.</summary>
public sealed class CausalSelfAttention : Module<Tensor, Tensor>
{
    private readonly Linear c_attn;
    private readonly Linear c_proj;
    private readonly Dropout resid_dropout;
    private readonly int _heads;
    private readonly int _embedding;

    public CausalSelfAttention(GptConfig config) : base(nameof(CausalSelfAttention))
    {
        _heads = config.Heads;
        _embedding = config.EmbeddingSize;
        c_attn = Linear(config.EmbeddingSize, 3 * config.EmbeddingSize, hasBias: config.Bias);
        c_proj = Linear(config.EmbeddingSize, config.EmbeddingSize, hasBias: config.Bias);
        resid_dropout = Dropout(config.Dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, mask: null, cache: null, layer: 0);

    /// <param name="x">(B, T, C)</param>
    /// <param name="mask">(B or 1, 1, T, past+T) bool, or null for a plain causal mask without cache.</param>
    /// <returns>(B, T, C)</returns>
    public Tensor Forward(Tensor x, Tensor? mask, KvCache? cache, int layer)
    {
        long b = x.shape[0], t = x.shape[1];
        Tensor[] qkv = c_attn.forward(x).split(_embedding, dim: 2);                          // 3 × (B, T, C)
        Tensor q = qkv[0].view(b, t, _heads, -1).transpose(1, 2);                           // (B, H, T, D)
        Tensor k = qkv[1].view(b, t, _heads, -1).transpose(1, 2);
        Tensor v = qkv[2].view(b, t, _heads, -1).transpose(1, 2);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);                           // (B, H, past+T, D)

        // No dropout on the attention weights: on the CPU it forces the unfused attention path, ~4× slower.
        Tensor y = mask is null
            ? functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);                // (B, H, T, D)
        y = y.transpose(1, 2).contiguous().view(b, t, _embedding);                           // (B, T, C)
        return resid_dropout.forward(c_proj.forward(y));
    }
}
