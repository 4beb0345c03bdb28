using System.Text.Json.Nodes;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>
/// The rotary inverse frequencies of a Hugging Face config.json as transformers' modeling_rope_utils computes them (in
/// float32): default θ^(−2i/d), linear (÷ factor) and llama3 (long wavelengths ÷ factor, short ones kept, a smooth blend between).
/// </summary>
public static class RopeInverseFrequencies
{
    public static float[] Of(JsonObject config, int headDim)
    {
        float theta = (float)(config["rope_theta"]?.GetValue<double>() ?? 10000.0);
        float[] inverse = Enumerable.Range(0, headDim / 2).Select(i => 1f / MathF.Pow(theta, (float)(2 * i) / headDim)).ToArray();
        if (config["rope_scaling"] is not JsonObject scaling) return inverse;
        string type = (scaling["rope_type"] ?? scaling["type"])?.GetValue<string>() ?? "default";
        float factor = Number(scaling, "factor");
        return type switch
        {
            "default" => inverse,
            "linear" => inverse.Select(f => f / factor).ToArray(),
            "llama3" => Llama3(inverse, factor, Number(scaling, "low_freq_factor"), Number(scaling, "high_freq_factor"),
                Number(scaling, "original_max_position_embeddings")),
            _ => throw new NotSupportedException($"rope_type '{type}'"),
        };
    }

    private static float[] Llama3(float[] inverse, float factor, float lowFrequencyFactor, float highFrequencyFactor, float originalContext)
    {
        float lowFrequencyWavelength = originalContext / lowFrequencyFactor;
        float highFrequencyWavelength = originalContext / highFrequencyFactor;
        return inverse.Select(f =>
        {
            float wavelength = 2 * MathF.PI / f;
            float scaled = wavelength > lowFrequencyWavelength ? f / factor : f;
            if (wavelength < highFrequencyWavelength || wavelength > lowFrequencyWavelength) return scaled;
            float smooth = (originalContext / wavelength - lowFrequencyFactor) / (highFrequencyFactor - lowFrequencyFactor);
            return (1 - smooth) * scaled / factor + smooth * scaled;
        }).ToArray();
    }

    private static float Number(JsonObject json, string key) =>
        (float)(json[key]?.GetValue<double>() ?? throw new InvalidDataException($"rope_scaling has no '{key}'"));
}
