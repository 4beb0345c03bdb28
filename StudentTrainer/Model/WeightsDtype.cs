using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Model;

/// <summary>The dtypes weights are stored in (Hugging Face's <c>torch_dtype</c> names); training itself is in float32.</summary>
public static class WeightsDtype
{
    public const string Float32 = "float32";
    public const string Float16 = "float16";
    public const string BFloat16 = "bfloat16";

    /// <summary>The names accepted, in the order they are listed in messages.</summary>
    public static IReadOnlyList<string> Names { get; } = [Float32, Float16, BFloat16];

    /// <summary><paramref name="name"/> when it is one of <see cref="Names"/>.</summary>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static string Check(string name) => Names.Contains(name)
        ? name
        : throw new ArgumentException($"weights dtype '{name}' is not supported ({string.Join(", ", Names)})");

    /// <summary>The TorchSharp type of a dtype name.</summary>
    public static ScalarType ScalarTypeOf(string name) => Check(name) switch
    {
        Float16 => ScalarType.Float16,
        BFloat16 => ScalarType.BFloat16,
        _ => ScalarType.Float32,
    };

    /// <summary>transformers' name of a dtype weights may be saved in.</summary>
    /// <exception cref="ArgumentException">Not float32, float16 or bfloat16.</exception>
    public static string NameOf(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => Float32,
        ScalarType.Float16 => Float16,
        ScalarType.BFloat16 => BFloat16,
        _ => throw new ArgumentException($"weights are saved as float32, float16 or bfloat16, not {dtype}", nameof(dtype)),
    };

    /// <summary>
    /// The model's parameters by name as float32 tensors holding the values they have once stored in <paramref name="dtype"/>
    /// (rounded to it and back), so what is computed from them equals what a reader of the stored weights computes.
    /// The tensors belong to the caller's dispose scope.
    /// </summary>
    public static Dictionary<string, Tensor> RoundedParameters(CausalLm model, string dtype)
    {
        ArgumentNullException.ThrowIfNull(model);
        ScalarType type = ScalarTypeOf(dtype);
        using var noGrad = no_grad();
        return model.named_parameters().ToDictionary(
            p => p.name,
            p => type == ScalarType.Float32 ? p.parameter.detach() : p.parameter.detach().to_type(type).to_type(ScalarType.Float32),
            StringComparer.Ordinal);
    }
}
