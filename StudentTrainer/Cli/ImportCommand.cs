using System.CommandLine;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Cli;

/// <summary><c>import</c>: turns an exported ONNX model folder back into a checkpoint that <c>generate</c>, <c>export</c> and training read.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        Option<string> modelFolder = new("--model") { Description = "Model folder written by export: model.onnx, config.json, tokenizer files", Required = true };
        Option<string> output = new("--out") { Description = "Model folder to write: config.json, model.safetensors, tokenizer files", Required = true };

        var command = new Command("import", "Read the weights of an exported ONNX model folder back into a checkpoint");
        command.Options.Add(modelFolder);
        command.Options.Add(output);
        command.SetAction(result =>
        {
            string source = CliOptions.RequireFolder(result.GetValue(modelFolder)!, "model");
            string destination = result.GetValue(output)!;
            using CausalLm model = OnnxWeightImporter.Import(source);
            ModelFolder.Save(model, destination);
            TokenizerFileCopy.CopyInto(source, destination);
            Console.WriteLine($"imported {model.ParameterCount:N0} parameters → {destination}");
            return 0;
        });
        return command;
    }
}
