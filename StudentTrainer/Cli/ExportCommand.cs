using System.CommandLine;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Cli;

/// <summary><c>export</c>: writes a trained checkpoint as an ONNX model folder the TeacherServer can serve.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        Option<string> checkpoint = new("--checkpoint") { Description = "A model folder (Hugging Face config.json + safetensors, or model.json + model.weights) with tokenizer files, or a run folder (its latest checkpoint)", Required = true };
        Option<string> output = new("--out") { Description = "Model folder to write: model.onnx, config.json, tokenizer files", Required = true };
        Option<bool> optimumPast = new("--optimum-past") { Description = "Add Optimum-style past_key_values.{i}.key|value inputs and present.* outputs" };

        var command = new Command("export", "Export a checkpoint to ONNX (opset 17) with config.json and tokenizer files");
        command.Options.Add(checkpoint);
        command.Options.Add(output);
        command.Options.Add(optimumPast);
        command.SetAction(result =>
        {
            string folder = CliOptions.RequireFolder(result.GetValue(checkpoint)!, "checkpoint");
            string destination = result.GetValue(output)!;
            using CausalLm model = ModelFolder.Load(folder);
            OnnxExporter.Export(model, folder, destination,
                new OnnxExportOptions { IncludeEmptyPastKeyValues = result.GetValue(optimumPast) });
            long bytes = new FileInfo(Path.Combine(destination, OnnxExporter.ModelFile)).Length;
            Console.WriteLine($"exported {model.ParameterCount:N0} parameters ({bytes / 1e6:F1} MB) → {Path.Combine(destination, OnnxExporter.ModelFile)}");
            return 0;
        });
        return command;
    }
}
