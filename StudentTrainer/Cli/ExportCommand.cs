using System.CommandLine;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Cli;

/// <summary><c>export</c>: writes a model as one folder that transformers and TeacherServer both load (<see cref="OnnxExporter"/>).</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        Option<string> checkpoint = new("--checkpoint") { Description = "A model folder (Hugging Face config.json + safetensors, or model.json + model.weights), or a train run folder (its latest checkpoint)", Required = true };
        Option<string> output = new("--out") { Description = "Folder to write: config.json, model.safetensors, generation_config.json, tokenizer files, model.onnx", Required = true };
        Option<string?> tokenizer = new("--tokenizer") { Description = $"Tokenizer folder. Default: the model's folder when it holds tokenizer files, else {StudentChoice.DefaultTokenizer}" };
        Option<string?> dtype = new("--dtype") { Description = $"dtype of model.safetensors: {string.Join(", ", WeightsDtype.Names)} (default: the model's own torch_dtype); model.onnx holds the same values in float32" };
        Option<bool> noPast = new("--no-past") { Description = "Leave out Optimum's past_key_values.{i}.key|value inputs and present.* outputs (TeacherServer's prefix cache needs them)" };

        var command = new Command("export", "Export a model as a Hugging Face folder with model.onnx (opset 17, Optimum's causal-LM layout)");
        foreach (Option option in new Option[] { checkpoint, output, tokenizer, dtype, noPast })
            command.Options.Add(option);
        command.SetAction(result =>
        {
            string? weightsDtype = result.GetValue(dtype) is { } name ? WeightsDtype.Check(name) : null;
            string given = CliOptions.RequireFolder(result.GetValue(checkpoint)!, "checkpoint");
            string folder = ModelFolder.HoldsModel(given) ? given : TrainingCheckpoint.Locate(given);
            string destination = result.GetValue(output)!;
            using CausalLm model = ModelFolder.Load(folder);
            string tokenizerFolder = StudentChoice.TokenizerFolder(result.GetValue(tokenizer), folder, RunTokenizer(given));
            OnnxExporter.Export(model, CliOptions.RequireFolder(tokenizerFolder, "tokenizer"), destination,
                new OnnxExportOptions { IncludeEmptyPastKeyValues = !result.GetValue(noPast), WeightsDtype = weightsDtype });
            long bytes = new FileInfo(Path.Combine(destination, OnnxExporter.ModelFile)).Length;
            Console.WriteLine($"exported {model.Config.ModelType} of {model.ParameterCount:N0} parameters ({bytes / 1e6:F1} MB of ONNX) → {destination}");
            return 0;
        });
        return command;
    }

    /// <summary>The tokenizer a train run folder used (its job.json's), or the folder itself otherwise.</summary>
    private static string RunTokenizer(string folder)
    {
        string job = Path.Combine(folder, TrainJob.SettingsFile);
        if (!File.Exists(job)) return folder;
        TrainJobSettings? settings = System.Text.Json.JsonSerializer.Deserialize<TrainJobSettings>(File.ReadAllText(job));
        return settings?.TokenizerFolder ?? folder;
    }
}
