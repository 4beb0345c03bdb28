using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>The mean over the positions a mask keeps, as the losses reduce.</summary>
internal static class MaskedMean
{
    /// <summary>(…) values, (…) bool mask → scalar; 0 (still on the graph) when the mask keeps nothing. Masked-out values may be anything, even NaN.</summary>
    public static Tensor Of(Tensor values, Tensor mask)
    {
        Tensor kept = where(mask, values, zeros_like(values));
        Tensor count = mask.sum().to_type(values.dtype).clamp_min(Scalars.Of(1.0));
        return kept.sum().div(count);
    }
}
