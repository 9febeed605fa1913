mod assignment;
mod evaluation;
mod rules;
